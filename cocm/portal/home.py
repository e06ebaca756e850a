"""What the portal's home page shows, and the next-contact buttons.

The next contact is the one planned by the patient's latest contact (as the registry shows it);
confirming it or asking to move it has the same effect as replying C or R to the confirmation
text: ``next_contact_confirmed_at`` or ``reschedule_requested_at`` plus a "reschedule" queue
item, and an open confirmation text for that contact is closed the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.audit import record
from cocm.checkins.records import close_conversation, open_episode
from cocm.checkins.when import contact_when_text
from cocm.clock import local
from cocm.models import Assessment, CarePlan, Contact, Conversation, Patient, Staff
from cocm.response_queue import open_item

HISTORY_INSTRUMENTS = ("PHQ-9", "GAD-7")
HISTORY_LIMIT = 26  # a year of fortnightly measures


class NoSuchContact(LookupError):
    """The contact is not the patient's current next contact (or it has passed)."""


@dataclass(frozen=True)
class NextContact:
    contact_id: int
    at: datetime
    who: str | None
    kind: str
    confirmed: bool
    reschedule_requested: bool


def _planning_contact(session: Session, patient: Patient) -> Contact | None:
    return session.scalar(
        select(Contact)
        .where(Contact.patient_id == patient.id, Contact.next_contact_at.is_not(None))
        .order_by(Contact.occurred_at.desc(), Contact.id.desc())
        .limit(1)
    )


def next_contact(session: Session, patient: Patient, now: datetime) -> NextContact | None:
    """The patient's next planned contact, if it is still ahead: when, with whom, how."""
    contact = _planning_contact(session, patient)
    if contact is None or contact.next_contact_at <= now:
        return None
    manager = session.get(Staff, patient.care_manager_id) if patient.care_manager_id else None
    who = manager.full_name if manager is not None else None
    if who is None:
        staff = session.get(Staff, contact.staff_id)
        who = staff.full_name if staff is not None else None
    return NextContact(
        contact_id=contact.id,
        at=contact.next_contact_at,
        who=who,
        kind=contact.kind,
        confirmed=contact.next_contact_confirmed_at is not None,
        reschedule_requested=contact.reschedule_requested_at is not None,
    )


def _current(session: Session, patient: Patient, contact_id: int, now: datetime) -> Contact:
    contact = _planning_contact(session, patient)
    if contact is None or contact.id != contact_id or contact.next_contact_at <= now:
        raise NoSuchContact(contact_id)
    return contact


def _close_confirmation(session: Session, contact: Contact, reason: str, now: datetime) -> None:
    conversation = session.scalar(
        select(Conversation).where(
            Conversation.contact_id == contact.id,
            Conversation.kind == "contact_confirm",
            Conversation.status == "open",
        )
    )
    if conversation is not None:
        close_conversation(session, conversation, reason, now)


def confirm_contact(
    session: Session, patient: Patient, contact_id: int, now: datetime, remote_addr: str | None
) -> Contact:
    """Confirm the next contact (as replying C). Idempotent. Raises NoSuchContact."""
    contact = _current(session, patient, contact_id, now)
    if contact.next_contact_confirmed_at is None:
        contact.next_contact_confirmed_at = now
        _close_confirmation(session, contact, "confirmed", now)
        record(
            session,
            "portal_contact_confirmed",
            patient_id=patient.id,
            clinic_id=patient.clinic_id,
            object_type="contact",
            object_id=contact.id,
            remote_addr=remote_addr,
        )
    session.flush()
    return contact


def ask_to_reschedule(
    session: Session, patient: Patient, contact_id: int, now: datetime, remote_addr: str | None
) -> Contact:
    """Ask to move the next contact (as replying R): a "reschedule" queue item, one per
    contact. Idempotent. Raises NoSuchContact."""
    contact = _current(session, patient, contact_id, now)
    if contact.reschedule_requested_at is None:
        contact.reschedule_requested_at = now
        when = contact_when_text(contact.next_contact_at, patient.zone, "en")
        open_item(
            session,
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            kind="reschedule",
            reason=f"Asked on the patient portal to reschedule the contact planned {when}",
            now=now,
            dedupe_key=f"reschedule:contact:{contact.id}",
        )
        _close_confirmation(session, contact, "reschedule_requested", now)
        record(
            session,
            "portal_reschedule_requested",
            patient_id=patient.id,
            clinic_id=patient.clinic_id,
            object_type="contact",
            object_id=contact.id,
            remote_addr=remote_addr,
        )
    session.flush()
    return contact


def goals(session: Session, patient: Patient) -> str | None:
    """The goals of the current (latest) care plan of the patient's open episode."""
    episode = open_episode(session, patient.id)
    if episode is None:
        return None
    plan = session.scalar(
        select(CarePlan)
        .where(CarePlan.episode_id == episode.id)
        .order_by(CarePlan.version.desc())
        .limit(1)
    )
    text = (plan.goals or "").strip() if plan is not None else ""
    return text or None


def score_history(session: Session, patient: Patient) -> dict[str, list[tuple[date, int]]]:
    """The patient's own complete totals per measured questionnaire, oldest first, dated in
    the patient's time zone (at most HISTORY_LIMIT each)."""
    history: dict[str, list[tuple[date, int]]] = {}
    for code in HISTORY_INSTRUMENTS:
        rows = session.execute(
            select(Assessment.completed_at, Assessment.total)
            .where(
                Assessment.patient_id == patient.id,
                Assessment.instrument == code,
                Assessment.status == "completed",
                Assessment.total.is_not(None),
            )
            .order_by(Assessment.completed_at.desc(), Assessment.id.desc())
            .limit(HISTORY_LIMIT)
        ).all()
        if rows:
            history[code] = [
                (local(when, patient.zone).date(), total) for when, total in reversed(rows)
            ]
    return history
