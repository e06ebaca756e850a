"""Contact confirmations: a request two days before each scheduled contact, and one reminder
the day before if it is still unconfirmed (DESIGN section 6: "Reply C to confirm or R to
reschedule.")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocm.checkins.service import NotTextable, start_contact_confirmation
from cocm.models import Contact, Conversation, Episode, Patient
from cocm.models.enums import OPEN_EPISODE_STATUSES

REQUEST_BEFORE = timedelta(days=2)
REMINDER_BEFORE = timedelta(days=1)


@dataclass
class ConfirmationReport:
    requested: int = 0
    reminded: int = 0
    skipped: int = 0


def upcoming_contacts(session: Session, now: datetime) -> list[tuple[Contact, int]]:
    """Each patient's planned next contact within two days, unconfirmed, with the number of
    confirmation conversations already started for it."""
    latest = (
        select(Contact.patient_id, func.max(Contact.occurred_at).label("occurred_at"))
        .group_by(Contact.patient_id)
        .subquery()
    )
    asked = (
        select(Conversation.contact_id, func.count().label("asked"))
        .where(Conversation.contact_id.is_not(None))
        .group_by(Conversation.contact_id)
        .subquery()
    )
    query = (
        select(Contact, func.coalesce(asked.c.asked, 0))
        .join(
            latest,
            (latest.c.patient_id == Contact.patient_id)
            & (latest.c.occurred_at == Contact.occurred_at),
        )
        .join(Patient, Patient.id == Contact.patient_id)
        .join(
            Episode, (Episode.patient_id == Patient.id) & Episode.status.in_(OPEN_EPISODE_STATUSES)
        )
        .outerjoin(asked, asked.c.contact_id == Contact.id)
        .where(
            Contact.next_contact_at > now,
            Contact.next_contact_at <= now + REQUEST_BEFORE,
            Contact.next_contact_confirmed_at.is_(None),
            Contact.reschedule_requested_at.is_(None),
            Patient.sms_opted_out.is_(False),
            Patient.sms_consent_at.is_not(None),
            Patient.phone_e164.is_not(None),
            Patient.phone_problem.is_(None),
        )
    )
    return [(contact, asked_count) for contact, asked_count in session.execute(query)]


def send_contact_confirmations(session: Session, now: datetime) -> ConfirmationReport:
    """Request (2 days before) or remind (1 day before) for every upcoming contact; idempotent:
    the number of confirmation conversations per contact is the record of what was sent."""
    report = ConfirmationReport()
    for contact, asked in upcoming_contacts(session, now):
        is_reminder = asked == 1 and contact.next_contact_at <= now + REMINDER_BEFORE
        if asked >= 2 or (asked == 1 and not is_reminder):
            report.skipped += 1
            continue
        open_one = session.scalar(
            select(Conversation.id).where(
                Conversation.contact_id == contact.id, Conversation.status == "open"
            )
        )
        if open_one is not None:
            report.skipped += 1  # the request is still waiting for an answer
            continue
        try:
            with session.begin_nested():
                start_contact_confirmation(session, contact, now)
        except NotTextable:
            report.skipped += 1
            continue
        if is_reminder:
            report.reminded += 1
        else:
            report.requested += 1
    session.flush()
    return report
