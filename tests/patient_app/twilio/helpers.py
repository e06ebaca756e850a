"""A small clinic world for the text-pipeline tests, and Twilio webhook requests signed with the
SDK's RequestValidator exactly as Twilio signs them (public URL + every form parameter)."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from twilio.request_validator import RequestValidator

from cocm import db
from cocm.messaging.senders import reset_recording_sender
from cocm.models import (
    Clinic,
    Episode,
    EscalationStep,
    MeasurementSchedule,
    Message,
    Patient,
    QueueItem,
    Staff,
)
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory, staff_with_role

PUBLIC = "https://cocm.example.org"  # PUBLIC_BASE_URL in tests/conftest.py
INTERNAL = "http://internal:8000"  # what the app sees behind the proxy
TOKEN = "test-auth-token"
ACCOUNT = "AC" + "0" * 32
# Tuesday 2026-03-03, 10:00 in New York (EST, UTC-5): inside the texting window and clinic hours.
T0 = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
# 18:30 in New York: still inside the texting window, outside clinic hours (08:00-17:00).
EVENING = datetime(2026, 3, 3, 23, 30, tzinfo=UTC)
# 22:00 in New York: outside the texting window.
NIGHT = datetime(2026, 3, 4, 3, 0, tzinfo=UTC)
CLINIC_NUMBER = "+15005550100"
PATIENT_PHONE = "+12025550142"


@dataclass(frozen=True)
class World:
    """Ids of one clinic's people (objects go stale once a request ends its session); each
    accessor re-reads the row from the current session."""

    clinic_id: int
    manager_id: int
    on_call_id: int
    lead_id: int
    patient_id: int
    episode_id: int

    @property
    def clinic(self) -> Clinic:
        return db.Session.get(Clinic, self.clinic_id)

    @property
    def manager(self) -> Staff:
        return db.Session.get(Staff, self.manager_id)

    @property
    def on_call(self) -> Staff:
        return db.Session.get(Staff, self.on_call_id)

    @property
    def patient(self) -> Patient:
        return db.Session.get(Patient, self.patient_id, populate_existing=True)

    @property
    def episode(self) -> Episode:
        return db.Session.get(Episode, self.episode_id)


def build_world() -> World:
    clinic = ClinicFactory(
        timezone="America/New_York", sms_number=CLINIC_NUMBER, name="Riverside Family Medicine"
    )
    manager = staff_with_role(clinic, "care_manager", phone="+12025550181")
    on_call = staff_with_role(clinic, "care_manager", phone="+12025550182")
    lead = staff_with_role(clinic, "clinic_lead", phone="+12025550183")
    session = db.Session()
    for position, person in enumerate((on_call, lead)):
        session.add(EscalationStep(clinic_id=clinic.id, position=position, staff_id=person.id))
    patient = PatientFactory(
        clinic=clinic, care_manager_id=manager.id, phone_e164=PATIENT_PHONE, first_name="Dana"
    )
    episode = EpisodeFactory(patient=patient, status="active")
    for instrument in ("PHQ-9", "GAD-7"):
        session.add(
            MeasurementSchedule(episode_id=episode.id, instrument=instrument, next_due_at=T0)
        )
    session.flush()
    return World(clinic.id, manager.id, on_call.id, lead.id, patient.id, episode.id)


@pytest.fixture
def world(session) -> World:
    built = build_world()
    # Committed (a SAVEPOINT release here) so a refused request's rollback keeps the world.
    session.commit()
    return built


@pytest.fixture
def recorder(settings):
    sender = reset_recording_sender()
    yield sender
    sender.reset()


def inbound_params(body: str, from_: str, to: str, sid: str | None = None, **extra) -> dict:
    """The form parameters Twilio posts for an inbound SMS."""
    sid = sid or new_sid()
    params = {
        "ToCountry": "US",
        "ToState": "DC",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "WASHINGTON",
        "FromZip": "20001",
        "SmsSid": sid,
        "FromState": "DC",
        "SmsStatus": "received",
        "FromCity": "WASHINGTON",
        "Body": body,
        "FromCountry": "US",
        "To": to,
        "ToZip": "20001",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT,
        "From": from_,
        "ApiVersion": "2010-04-01",
    }
    params.update(extra)
    return params


def new_sid() -> str:
    return "SM" + uuid.uuid4().hex


def sign(path: str, params: dict, token: str = TOKEN, base: str = PUBLIC) -> str:
    """What Twilio puts in X-Twilio-Signature for a POST to ``base + path``."""
    return RequestValidator(token).compute_signature(base + path, params)


def post_signed(client, path: str, params: dict, *, signature: str | None = None, **kwargs):
    headers = {"X-Twilio-Signature": sign(path, params) if signature is None else signature}
    kwargs.setdefault("base_url", INTERNAL)
    return client.post(path, data=params, headers=headers, **kwargs)


def replies(response) -> list[str]:
    """The texts of the TwiML ``<Message>`` elements, in order."""
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.data)
    assert root.tag == "Response"
    return [element.text or "" for element in root.iter("Message")]


class Phone:
    """The patient's handset: every text goes through the signed webhook."""

    def __init__(self, client, number: str = PATIENT_PHONE, clinic_number: str = CLINIC_NUMBER):
        self.client = client
        self.number = number
        self.clinic_number = clinic_number

    def send(self, body: str, *, sid: str | None = None, **extra):
        params = inbound_params(body, self.number, self.clinic_number, sid=sid, **extra)
        return post_signed(self.client, "/twilio/sms", params)

    def text(self, body: str, **kwargs) -> list[str]:
        return replies(self.send(body, **kwargs))


def queue_items(patient_id: int, kind: str | None = None) -> list[QueueItem]:
    query = select(QueueItem).where(QueueItem.patient_id == patient_id).order_by(QueueItem.id)
    if kind:
        query = query.where(QueueItem.kind == kind)
    return list(db.Session.scalars(query))


def messages(patient_id: int, direction: str | None = None) -> list[Message]:
    query = select(Message).where(Message.patient_id == patient_id).order_by(Message.id)
    if direction:
        query = query.where(Message.direction == direction)
    return list(db.Session.scalars(query))


def start(world: World, instrument: str = "PHQ-9", now: datetime = T0) -> int:
    """Start a text check-in the way the scheduler does and commit it; returns its id."""
    from cocm.checkins import start_checkin

    conversation = start_checkin(db.Session(), world.patient, instrument, now)
    conversation_id = conversation.id
    db.Session.commit()
    return conversation_id
