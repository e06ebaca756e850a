"""Stepping an episode down to relapse prevention, or ending it (DESIGN section 4).

Ending (completed, transferred, disengaged) stops the measurement schedules, cancels the
patient's queued proactive texts and closes an open text conversation, in the same transaction.
A transfer makes a referral that stays tracked until the patient is seen. Disengagement needs
the documented outreach attempts (the clinic's minimum) and a close-out note with a re-entry
path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocm.checkins import records
from cocm.clock import local
from cocm.episodes import schedule
from cocm.episodes.service import EpisodeError, open_episode
from cocm.models import CarePlan, Clinic, Contact, Message, Patient, Staff
from cocm.referrals.service import ReferralData, ReferralError, create_referral

OUTCOMES = ("relapse_prevention", "completed", "transferred", "disengaged")
ENDING = ("completed", "transferred", "disengaged")
OUTREACH_OUTCOMES = ("no_answer", "left_message")
# Texts that ask the patient for something; replies to the patient's own texts do not count.
PROACTIVE_KINDS = ("checkin_open", "reminder", "contact_confirm_request")
REACHED_PHONE = ("sent", "delivered", "read")


@dataclass
class CloseData:
    outcome: str
    note: str
    reentry_note: str | None = None
    referral: ReferralData | None = None


@dataclass
class Outreach:
    """Attempts to reach a patient since they were last heard from."""

    contacts: list[Contact] = field(default_factory=list)
    unanswered_texts: list[Message] = field(default_factory=list)

    @property
    def count(self) -> int:
        """Unanswered calls and messages left: what the clinic's minimum counts, as in
        ``cocm.cadence.engagement`` (texts are listed as well, but a person must have tried)."""
        return len(self.contacts)


def outreach_attempts(session: Session, patient: Patient, since: date) -> Outreach:
    """Unanswered calls and messages left, and proactive texts (check-ins, reminders, contact
    confirmations) that reached the phone, since the patient was last heard from: a contact
    that reached them or a text from them, and not before ``since`` (the episode start)."""
    heard = [datetime.combine(since, time.min, tzinfo=UTC)]
    heard.append(
        session.scalar(
            select(func.max(Contact.occurred_at)).where(
                Contact.patient_id == patient.id, Contact.outcome == "reached"
            )
        )
    )
    heard.append(
        session.scalar(
            select(func.max(Message.created_at)).where(
                Message.patient_id == patient.id, Message.direction == "inbound"
            )
        )
    )
    after = max(moment for moment in heard if moment is not None)
    contacts = session.scalars(
        select(Contact)
        .where(
            Contact.patient_id == patient.id,
            Contact.outcome.in_(OUTREACH_OUTCOMES),
            Contact.occurred_at > after,
        )
        .order_by(Contact.occurred_at)
    ).all()
    texts = session.scalars(
        select(Message)
        .where(
            Message.patient_id == patient.id,
            Message.direction == "outbound",
            Message.created_at > after,
            Message.kind.in_(PROACTIVE_KINDS),
            Message.status.in_(REACHED_PHONE),
        )
        .order_by(Message.created_at)
    ).all()
    return Outreach(contacts=list(contacts), unanswered_texts=list(texts))


def stop_texting(session: Session, patient: Patient, now: datetime) -> int:
    """Cancel the patient's queued proactive texts and close an open conversation (answers
    kept); returns how many queued texts were cancelled."""
    conversation = records.open_conversation(session, patient.id, lock=True)
    if conversation is not None:
        records.close_conversation(session, conversation, "episode_ended", now)
    return records.cancel_pending(session, now, patient_id=patient.id)


def _step_down(session, episode, clinic, data, staff, now) -> None:
    if episode.status == "relapse_prevention":
        raise EpisodeError("outcome", "This episode is already in relapse prevention.")
    episode.status = "relapse_prevention"
    # Measures space out once the patient is stable: the after-response rhythm from now on.
    episode.cadence_days = max(clinic.response_cadence_days, episode.cadence_days or 0)
    latest = episode.care_plans[-1] if episode.care_plans else None
    session.add(
        CarePlan(
            episode_id=episode.id,
            version=(latest.version if latest else 0) + 1,
            goals=latest.goals if latest else "Stay well.",
            medications=latest.medications if latest else None,
            skill_plan=latest.skill_plan if latest else None,
            follow_up=f"Relapse prevention: check-ins every {episode.cadence_days} days.",
            safety_steps=latest.safety_steps if latest else None,
            change_summary="Stepped down to relapse prevention. " + data.note,
            created_by_id=staff.id,
            created_at=now,
        )
    )


def close_episode(
    session: Session, patient: Patient, data: CloseData, staff: Staff, now: datetime
) -> tuple:
    """Step the open episode down or end it; returns (episode, referral or None).

    Raises EpisodeError(field, message); field None means there is no open episode (already
    closed, e.g. the form was posted twice).
    """
    episode = open_episode(session, patient.id)
    if episode is None:
        raise EpisodeError(None, "This patient has no open episode; it may already be closed.")
    if data.outcome not in OUTCOMES:
        raise EpisodeError("outcome", "Choose how the episode ends.")
    note = (data.note or "").strip()
    if not note:
        raise EpisodeError("note", "Write a close-out note.")
    clinic = session.get(Clinic, patient.clinic_id)
    today = local(now, clinic.timezone).date()
    referral = None
    if data.outcome == "relapse_prevention":
        _step_down(session, episode, clinic, data, staff, now)
        session.flush()
        return episode, None
    if data.outcome == "disengaged":
        if not (data.reentry_note or "").strip():
            raise EpisodeError("reentry_note", "Say how the patient can come back to care.")
        attempts = outreach_attempts(session, patient, episode.started_on)
        if attempts.count < clinic.disengage_after_attempts:
            raise EpisodeError(
                "outcome",
                f"Document at least {clinic.disengage_after_attempts} unanswered calls or messages "
                f"left before closing as disengaged ({attempts.count} since the patient was last "
                "heard from).",
            )
    if data.outcome == "transferred":
        if data.referral is None:
            raise EpisodeError("referral_kind", "A transfer needs a referral to track.")
        try:
            referral, _ = create_referral(session, patient, data.referral, staff, today)
        except ReferralError as exc:
            raise EpisodeError(f"referral_{exc.field}", exc.message) from None
    episode.status = data.outcome
    episode.ended_on = max(today, episode.started_on)
    episode.end_reason = note
    episode.reentry_note = (data.reentry_note or "").strip() or None
    schedule.deactivate(session, episode)
    stop_texting(session, patient, now)
    session.flush()
    return episode, referral
