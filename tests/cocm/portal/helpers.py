"""A small clinic world for the portal tests: a patient with a phone, an open episode with a care
plan, measurement schedules, a planned next contact and a score history."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from cocm import db
from cocm.models import (
    Assessment,
    CarePlan,
    Clinic,
    Contact,
    Conversation,
    Episode,
    EscalationStep,
    MeasurementSchedule,
    Message,
    Patient,
    QueueItem,
)
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory, staff_with_role

# Tuesday 2026-03-03, 10:00 in New York: inside the texting window and clinic hours.
T0 = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
PHONE = "+12025550142"
PHONE_TYPED = "(202) 555-0142"
UNKNOWN_PHONE = "+12025550199"


@dataclass(frozen=True)
class PortalWorld:
    """Ids only (objects go stale once a request ends its session); accessors re-read."""

    clinic_id: int
    manager_id: int
    patient_id: int
    episode_id: int
    contact_id: int

    @property
    def clinic(self) -> Clinic:
        return db.Session.get(Clinic, self.clinic_id)

    @property
    def patient(self) -> Patient:
        return db.Session.get(Patient, self.patient_id, populate_existing=True)

    @property
    def episode(self) -> Episode:
        return db.Session.get(Episode, self.episode_id)

    @property
    def contact(self) -> Contact:
        return db.Session.get(Contact, self.contact_id, populate_existing=True)

    def schedule(self, instrument: str = "PHQ-9") -> MeasurementSchedule:
        return db.Session.scalar(
            select(MeasurementSchedule)
            .where(
                MeasurementSchedule.episode_id == self.episode_id,
                MeasurementSchedule.instrument == instrument,
            )
            .execution_options(populate_existing=True)
        )


def build(*, language: str = "en", links: bool = False, first_names: bool = True) -> PortalWorld:
    clinic = ClinicFactory(
        timezone="America/New_York",
        name="Riverside Family Medicine",
        portal_links_enabled=links,
        use_first_names=first_names,
    )
    manager = staff_with_role(clinic, "care_manager", full_name="Maria Lopez", phone="+12025550181")
    on_call = staff_with_role(clinic, "care_manager", phone="+12025550182")
    lead = staff_with_role(clinic, "clinic_lead", phone="+12025550183")
    session = db.Session()
    for position, person in enumerate((on_call, lead)):
        session.add(EscalationStep(clinic_id=clinic.id, position=position, staff_id=person.id))
    patient = PatientFactory(
        clinic=clinic,
        care_manager_id=manager.id,
        phone_e164=PHONE,
        first_name="Dana",
        language=language,
    )
    episode = EpisodeFactory(patient=patient, status="active")
    for version, goals in ((1, "Old goals."), (2, "Walk with my sister twice a week.")):
        session.add(
            CarePlan(
                episode_id=episode.id,
                version=version,
                goals=goals,
                created_by_id=manager.id,
                created_at=T0 - timedelta(days=30 - version),
            )
        )
    for instrument in ("PHQ-9", "GAD-7"):
        session.add(
            MeasurementSchedule(
                episode_id=episode.id, instrument=instrument, next_due_at=T0 + timedelta(days=5)
            )
        )
    for days, total in ((28, 14), (14, 10)):
        session.add(
            Assessment(
                patient_id=patient.id,
                episode_id=episode.id,
                instrument="PHQ-9",
                channel="sms",
                status="completed",
                total=total,
                severity="moderate" if total >= 10 else "mild",
                started_at=T0 - timedelta(days=days),
                completed_at=T0 - timedelta(days=days),
            )
        )
    contact = Contact(
        patient_id=patient.id,
        episode_id=episode.id,
        staff_id=manager.id,
        kind="phone",
        outcome="reached",
        occurred_at=T0 - timedelta(days=3),
        minutes=15,
        note="Follow-up.",
        next_contact_at=T0 + timedelta(days=4, hours=4),
    )
    session.add(contact)
    session.flush()
    return PortalWorld(clinic.id, manager.id, patient.id, episode.id, contact.id)


@pytest.fixture
def portal_world(session) -> PortalWorld:
    built = build()
    # Committed (a SAVEPOINT release here) so a refused request's rollback keeps the world.
    session.commit()
    return built


def make_due(world: PortalWorld, instrument: str = "PHQ-9", at: datetime = T0) -> int:
    row = world.schedule(instrument)
    row.next_due_at = at - timedelta(hours=1)
    db.Session.flush()
    return row.id


def code_texts(patient_id: int) -> list[Message]:
    return list(
        db.Session.scalars(
            select(Message)
            .where(Message.patient_id == patient_id, Message.kind == "portal_code")
            .order_by(Message.id)
            .execution_options(populate_existing=True)
        )
    )


def last_code(patient_id: int) -> str:
    return re.search(r"\b(\d{6})\b", code_texts(patient_id)[-1].body).group(1)


def queue_items(patient_id: int, kind: str | None = None) -> list[QueueItem]:
    query = select(QueueItem).where(QueueItem.patient_id == patient_id).order_by(QueueItem.id)
    if kind:
        query = query.where(QueueItem.kind == kind)
    return list(db.Session.scalars(query))


def open_conversation(patient_id: int) -> Conversation | None:
    return db.Session.scalar(
        select(Conversation)
        .where(Conversation.patient_id == patient_id, Conversation.status == "open")
        .execution_options(populate_existing=True)
    )
