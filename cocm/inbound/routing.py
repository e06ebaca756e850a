"""Who an inbound text is for and from: the clinic by the number it was sent to, then the
patient by the number it came from, within that clinic."""

from __future__ import annotations

from datetime import date

import phonenumbers
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from cocm.models import Clinic, Conversation, Episode, Patient
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


def find_clinic(
    session: Session, to_number: str | None, messaging_service_sid: str | None = None
) -> Clinic | None:
    """The clinic whose texting number received the message (or, for a number in a Messaging
    Service's pool, the clinic using that service)."""
    candidates = {n for n in (to_number, normalize_phone(to_number)) if n}
    if candidates:
        clinic = session.scalar(select(Clinic).where(Clinic.sms_number.in_(candidates)))
        if clinic is not None:
            return clinic
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
    rows = session.execute(
        select(Patient, Episode.started_on, Conversation.id)
        .outerjoin(
            Episode,
            and_(Episode.patient_id == Patient.id, Episode.status.in_(OPEN_EPISODE_STATUSES)),
        )
        .outerjoin(
            Conversation,
            and_(Conversation.patient_id == Patient.id, Conversation.status == "open"),
        )
        .where(Patient.clinic_id == clinic.id, Patient.phone_e164 == phone)
    ).all()
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
