"""Starting, reminding and expiring text conversations (DESIGN section 6).

One service call per action, used alike by the scheduler jobs, the staff app and the API. Every
proactive text goes through the outbox inside the patient's allowed window; a conversation's
reminder and expiry clocks start when its text actually goes out, not when it was queued.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm import conversation as engine
from cocm import instruments, texts
from cocm.checkins.records import close_conversation, open_conversation, open_episode
from cocm.checkins.state import from_json, patient_context, to_json
from cocm.checkins.when import contact_when_text
from cocm.episodes import schedule
from cocm.messaging.outbox import queue_message
from cocm.messaging.window import next_allowed, window_for
from cocm.models import (
    Assessment,
    Contact,
    Conversation,
    MeasurementSchedule,
    Message,
    Patient,
)
from cocm.models.enums import ASSESSMENT_CHANNELS
from cocm.portal import links as portal_links


class NotTextable(ValueError):
    """The patient cannot be texted; the message says why and is safe to show to staff."""


def require_textable(patient: Patient) -> None:
    """Raise NotTextable for an opted-out patient, no recorded consent to texts, a missing
    number or a flagged number."""
    if patient.sms_opted_out:
        raise NotTextable(
            "This patient has opted out of text messages (replied STOP). Call them instead."
        )
    if patient.sms_consent_at is None:
        raise NotTextable(
            "This patient has not agreed to text messages. Record their consent first."
        )
    if not patient.phone_e164:
        raise NotTextable("This patient has no mobile number on file. Add one before texting.")
    if patient.phone_problem:
        raise NotTextable(
            f"This patient's number cannot receive texts ({patient.phone_problem}). "
            "Check the number with the patient."
        )


def send_at(patient: Patient, now: datetime) -> datetime:
    """When a proactive text to ``patient`` may go: now inside the window, else its next opening."""
    return next_allowed(now, patient.zone, *window_for(patient.clinic))


def _supersede(session: Session, outcome: engine.Outcome, existing, now: datetime) -> None:
    if existing is not None and outcome.closed_reason == "superseded":
        close_conversation(session, existing, "superseded", now)


def start_checkin(
    session: Session, patient: Patient, instrument: str, now: datetime, *, channel: str = "sms"
) -> Conversation:
    """Open a text check-in of ``instrument`` for ``patient`` and queue its first question.

    Creates the in-progress Assessment and the open Conversation; an open conversation is
    superseded (closed as superseded, its assessment marked "superseded" with its answers kept).
    The opening text waits for the patient's allowed window; the reminder and expiry clocks
    start from that moment. Raises ValueError for an unknown instrument or channel, and
    NotTextable (a ValueError) for an opted-out patient, no number or a flagged number.
    """
    code = instruments.get(instrument).code  # ValueError naming the known instruments
    if channel not in ASSESSMENT_CHANNELS:
        raise ValueError(f"unknown assessment channel {channel!r}")
    require_textable(patient)
    clinic = patient.clinic
    existing = open_conversation(session, patient.id, lock=True)
    outcome = engine.start_checkin(
        code, patient_context(patient, clinic), now, existing=_state(existing)
    )
    _supersede(session, outcome, existing, now)
    goes_at = send_at(patient, now)
    episode = open_episode(session, patient.id)
    assessment = Assessment(
        patient_id=patient.id,
        episode_id=episode.id if episode is not None else None,
        instrument=code,
        channel=channel,
        status="in_progress",
        started_at=now,
    )
    session.add(assessment)
    session.flush()
    conversation = _open(
        session, patient, outcome, now, goes_at, instrument=code, assessment_id=assessment.id
    )
    opening = outcome.replies[0]
    queue_message(
        session,
        clinic=clinic,
        patient=patient,
        kind=opening.kind,
        # With the clinic's portal links on, a one-time link is added if it fits the budget.
        body=portal_links.opening_text(patient, conversation, opening.text),
        now=now,
        not_before=goes_at,
        conversation_id=conversation.id,
        dedupe_key=f"checkin_open:conversation:{conversation.id}",
    )
    if episode is not None:
        row = session.scalar(
            select(MeasurementSchedule).where(
                MeasurementSchedule.episode_id == episode.id,
                MeasurementSchedule.instrument == code,
            )
        )
        if row is not None:
            row.last_sent_at = goes_at
    session.flush()
    return conversation


def start_contact_confirmation(session: Session, contact: Contact, now: datetime) -> Conversation:
    """Ask the patient to confirm ``contact.next_contact_at`` ("Reply C to confirm or R to
    reschedule."), in their language and time zone.

    Idempotent per contact: if this contact's confirmation is already open, it is returned and
    nothing is sent again. Supersedes any other open conversation. Raises ValueError when the
    contact has no next contact date, and NotTextable when the patient cannot be texted.
    """
    if contact.next_contact_at is None:
        raise ValueError("This contact has no next contact date to confirm.")
    patient = session.get(Patient, contact.patient_id)
    require_textable(patient)
    existing = open_conversation(session, patient.id, lock=True)
    if (
        existing is not None
        and existing.kind == engine.CONTACT_CONFIRM
        and existing.contact_id == contact.id
    ):
        return existing
    clinic = patient.clinic
    when = contact_when_text(contact.next_contact_at, patient.zone, patient.language)
    outcome = engine.start_contact_confirmation(
        patient_context(patient, clinic), now, when, existing=_state(existing)
    )
    _supersede(session, outcome, existing, now)
    goes_at = send_at(patient, now)
    conversation = _open(session, patient, outcome, now, goes_at, contact_id=contact.id)
    request = outcome.replies[0]
    queue_message(
        session,
        clinic=clinic,
        patient=patient,
        kind=request.kind,
        body=request.text,
        now=now,
        not_before=goes_at,
        conversation_id=conversation.id,
        dedupe_key=f"contact_confirm:conversation:{conversation.id}",
    )
    return conversation


def send_welcome(session: Session, patient: Patient, now: datetime) -> Message | None:
    """Queue the enrollment welcome text (who will be in touch, how often, HELP and STOP).

    Sent once per episode (once per patient without one): returns None if already queued.
    Raises NotTextable when the patient cannot be texted.
    """
    require_textable(patient)
    clinic = patient.clinic
    episode = open_episode(session, patient.id)
    if episode is not None:
        cadence = schedule.cadence_days(episode, clinic)
        key = f"welcome:episode:{episode.id}"
    else:
        cadence = clinic.default_cadence_days
        key = f"welcome:patient:{patient.id}"
    manager = patient.care_manager
    body = texts.welcome(
        patient.language,
        patient.first_name if clinic.use_first_names else None,
        clinic.name,
        manager.full_name if manager is not None else None,
        cadence,
    )
    return queue_message(
        session,
        clinic=clinic,
        patient=patient,
        kind="welcome",
        body=body,
        now=now,
        not_before=send_at(patient, now),
        dedupe_key=key,
    )


def remind_conversation(session: Session, conversation_id: int, now: datetime) -> Message | None:
    """Queue the one reminder of an unanswered conversation, if it is due (4 h of quiet).

    Re-checks everything (still open, due, not yet reminded, patient still textable), so a job
    may call it any number of times. The reminder waits for the allowed window, and the expiry
    clock restarts from when it goes. Returns the queued message, or None when nothing was due.
    """
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.status != "open":
        return None
    state = from_json(conversation.state)
    if engine.due_action(state, now) != "remind":
        return None
    patient = session.get(Patient, conversation.patient_id)
    try:
        require_textable(patient)
    except NotTextable:
        return None
    outcome = engine.remind(state, patient_context(patient, patient.clinic), now)
    if not outcome.replies:
        return None
    goes_at = send_at(patient, now)
    reply = outcome.replies[0]
    message = queue_message(
        session,
        clinic=patient.clinic,
        patient=patient,
        kind=reply.kind,
        body=reply.text,
        now=now,
        not_before=goes_at,
        conversation_id=conversation.id,
        dedupe_key=f"reminder:conversation:{conversation.id}",
    )
    conversation.state = to_json(outcome.state.evolve(last_outbound_at=goes_at))
    conversation.last_outbound_at = goes_at
    conversation.reminded_at = goes_at
    session.flush()
    return message


def expire_conversation(session: Session, conversation_id: int, now: datetime) -> bool:
    """Close a conversation 24 h after its last outbound text, keeping what was answered.

    The assessment becomes "partial". Returns True if it expired now; False if it was already
    closed or is not yet due (so a job may call it any number of times). Nothing is sent.
    """
    conversation = session.get(Conversation, conversation_id)
    if conversation is None or conversation.status != "open":
        return False
    state = from_json(conversation.state)
    if engine.due_action(state, now) != "expire":
        return False
    outcome = engine.expire(state, now)
    close_conversation(session, conversation, outcome.closed_reason or "expired", now)
    return True


def _state(conversation: Conversation | None) -> engine.ConversationState | None:
    return from_json(conversation.state) if conversation is not None else None


def _open(
    session: Session,
    patient: Patient,
    outcome: engine.Outcome,
    now: datetime,
    goes_at: datetime,
    *,
    instrument: str | None = None,
    assessment_id: int | None = None,
    contact_id: int | None = None,
) -> Conversation:
    state = outcome.state.evolve(last_outbound_at=goes_at)
    conversation = Conversation(
        patient_id=patient.id,
        kind=state.kind,
        instrument=instrument,
        assessment_id=assessment_id,
        contact_id=contact_id,
        status="open",
        state=to_json(state),
        opened_at=now,
        last_outbound_at=goes_at,
    )
    session.add(conversation)
    session.flush()
    return conversation
