"""Who an inbound text is for and from: the clinic by the number it was sent to, then the
patient by the number it came from, within that clinic.

``route`` answers, in one round trip on the usual path (a text to a clinic's own number), the
three questions the webhook asks first: was this MessageSid stored already, which clinic, which
patient. Every webhook pays for each round trip, so they are not asked one query at a time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache

import phonenumbers
from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from cocm.models import Assessment, Clinic, Conversation, Episode, Message, Patient
from cocm.models.enums import OPEN_EPISODE_STATUSES

DEFAULT_REGION = "US"


def normalize_phone(raw: str | None, region: str = DEFAULT_REGION) -> str | None:
    """``raw`` in E.164 ("+12025550123"), or None when it is not a possible phone number.

    Only possibility is checked, not validity: test and fictional numbers (555) must route.
    """
    if not raw or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw.strip(), region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@dataclass(frozen=True)
class Route:
    """Where an inbound text goes: ``earlier`` is the message already stored under the same
    MessageSid (a replay; nothing else is looked up then)."""

    earlier: Message | None
    clinic: Clinic | None
    patient: Patient | None


def route(
    session: Session,
    sid: str | None,
    to_numbers: set[str],
    sender: str | None,
    messaging_service_sid: str | None = None,
) -> Route:
    """The replay check, ``find_clinic`` and ``find_patient`` together. ``to_numbers``: the
    number the text was sent to, as given and in E.164; ``sender`` in E.164.

    A text to a clinic's own number takes one query: the clinic, outer-joined to the candidate
    patients, with the earlier message's id as a scalar subquery. Any other text (a Messaging
    Service pool number, an unknown number) asks them one after the other.
    """
    if to_numbers:
        # A None sid or sender compares "= NULL" in SQL: no earlier message, no patient.
        parameters = {"sid": sid, "sender": sender, "numbers": list(to_numbers)}
        rows = session.execute(_route_query(), parameters).all()
        if rows:
            if rows[0][1] is not None:
                return Route(session.get(Message, rows[0][1]), None, None)
            # sms_number is unique, but the raw and the normalised form could name two clinics.
            clinic = rows[0][0]
            mine = [row[2:] for row in rows if row[0] is clinic and row[2] is not None]
            return Route(None, clinic, _best(mine))
    if sid is not None:
        earlier = session.scalar(select(Message).where(Message.twilio_sid == sid))
        if earlier is not None:
            return Route(earlier, None, None)
    clinic = _by_service(session, messaging_service_sid)
    return Route(None, clinic, find_patient(session, clinic, sender) if clinic else None)


def lock_open_conversation(
    session: Session, patient_id: int
) -> tuple[Conversation | None, Assessment | None]:
    """The patient's one open conversation, its row locked (PostgreSQL) so two texts arriving
    together are applied one after the other, and its assessment (if any), in one query.

    Only the conversation row is locked. The assessment comes from the statement's snapshot,
    which is current unless the lock had to wait; whoever held the lock then holds the
    conversation, and only conversation holders change an assessment's status (closing or
    completing it closes the conversation, so this query then finds nothing open).
    """
    row = session.execute(_lock_query(), {"patient_id": patient_id}).first()
    # Both are returned: the session's identity map holds objects weakly, so an assessment
    # nobody refers to would be gone (and read again) by the time an event needs it.
    return (row[0], row[1]) if row is not None else (None, None)


# Every webhook runs these two: built once (with bind parameters) rather than per request.
@cache
def _route_query():
    earlier_id = select(Message.id).where(Message.twilio_sid == bindparam("sid"))
    patient = and_(Patient.clinic_id == Clinic.id, Patient.phone_e164 == bindparam("sender"))
    query = (
        select(Clinic, earlier_id.scalar_subquery(), Patient, Episode.started_on, Conversation.id)
        .select_from(Clinic)
        .outerjoin(Patient, patient)
    )
    return _rank_joins(query).where(Clinic.sms_number.in_(bindparam("numbers", expanding=True)))


@cache
def _lock_query():
    return (
        select(Conversation, Assessment)
        .outerjoin(Assessment, Assessment.id == Conversation.assessment_id)
        .where(Conversation.patient_id == bindparam("patient_id"), Conversation.status == "open")
        .with_for_update(of=Conversation)
        # A locking read refreshes objects the session already holds (a long-lived session).
        .execution_options(populate_existing=True)
    )


def number_candidates(to_number: str | None, normalized: str | None) -> set[str]:
    """The number a text was sent to, as given and ``normalized`` (E.164), to match
    ``Clinic.sms_number`` against."""
    return {n for n in (to_number, normalized) if n}


def find_clinic(
    session: Session, to_number: str | None, messaging_service_sid: str | None = None
) -> Clinic | None:
    """The clinic whose texting number received the message (or, for a number in a Messaging
    Service's pool, the clinic using that service)."""
    candidates = number_candidates(to_number, normalize_phone(to_number))
    if candidates:
        clinic = session.scalar(select(Clinic).where(Clinic.sms_number.in_(candidates)))
        if clinic is not None:
            return clinic
    return _by_service(session, messaging_service_sid)


def _by_service(session: Session, messaging_service_sid: str | None) -> Clinic | None:
    if messaging_service_sid:
        return session.scalars(
            select(Clinic)
            .where(Clinic.messaging_service_sid == messaging_service_sid)
            .order_by(Clinic.id)
        ).first()
    return None


def find_patient(session: Session, clinic: Clinic, phone: str | None) -> Patient | None:
    """The clinic's patient texting from ``phone`` (E.164).

    Family members may share a phone: the one with an open conversation wins (the text most
    likely answers it), then the one with the most recent open episode, then the newest record.
    """
    if not phone:
        return None
    query = _rank_joins(select(Patient, Episode.started_on, Conversation.id))
    rows = session.execute(
        query.where(Patient.clinic_id == clinic.id, Patient.phone_e164 == phone)
    ).all()
    return _best(rows)


def _rank_joins(query):
    """``query`` (selecting from patients) joined to what ranks them (see ``_best``)."""
    return query.outerjoin(
        Episode,
        and_(Episode.patient_id == Patient.id, Episode.status.in_(OPEN_EPISODE_STATUSES)),
    ).outerjoin(
        Conversation,
        and_(Conversation.patient_id == Patient.id, Conversation.status == "open"),
    )


def _best(rows: Sequence) -> Patient | None:
    """The patient of the best ranked (patient, open episode start, open conversation id) row."""
    if not rows:
        return None

    def rank(row) -> tuple:
        patient, started_on, conversation_id = row
        return (
            conversation_id is not None,
            started_on is not None,
            started_on or date.min,
            patient.created_at,
            patient.id,
        )

    return max(rows, key=rank)[0]
