"""Episodes through the API: start one for a patient on record, move it between active and
relapse prevention, and close it with a reason.

Starting an episode follows enrollment's rules (``cocm.enrollment``): the clinic must be set up
(an escalation chain for risk, ...), one open episode per patient, six months without CoCM
services before a new one, the initiating visit and consent within the last 12 months. The
measurement schedule starts with the PHQ-9 baseline due now (a check-in the caller starts, or
the scheduler sends in the texting window) and the GAD-7 two days later, so the two never
collide; a textable patient gets the welcome text. Closing reuses ``cocm.episodes.closing``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocm.api.errors import Conflict, Invalid
from cocm.api.schemas.episodes import EpisodeClose, EpisodeCreate, EpisodeUpdate
from cocm.checkins import NotTextable, require_textable, send_welcome
from cocm.checkins.service import send_at
from cocm.clinics.checklist import setup_checklist
from cocm.clock import local
from cocm.enrollment import validation
from cocm.enrollment.service import GAD7_AFTER_TEXTED_PHQ9, EnrollmentData
from cocm.episodes import schedule
from cocm.episodes.closing import CloseData, close_episode
from cocm.episodes.service import EpisodeError, open_episode, reentry_blocked
from cocm.models import CarePlan, Episode, Patient, Staff
from cocm.models.enums import OPEN_EPISODE_STATUSES
from cocm.referrals.service import ReferralData

_ENDED = "This episode has ended; start a new one to resume care."


def care_plan_version(session: Session, episode_id: int) -> int | None:
    return session.scalar(
        select(func.max(CarePlan.version)).where(CarePlan.episode_id == episode_id)
    )


def create(
    session: Session, patient: Patient, data: EpisodeCreate, staff: Staff, now: datetime
) -> Episode:
    """Start an episode (status enrolled). Raises Invalid for dates or fields to correct and
    Conflict when the clinic is not set up or the patient cannot start one now."""
    clinic = patient.clinic
    missing = [check.label for check in setup_checklist(session, clinic) if not check.done]
    if missing:
        raise Conflict("Finish clinic setup before enrolling. Missing: " + "; ".join(missing))
    today = local(now, clinic.timezone).date()
    blocked = reentry_blocked(session, patient, today)
    if blocked:
        raise Conflict(blocked)
    errors = validation.Errors()
    validation.check_episode(
        EnrollmentData(
            clinic_id=clinic.id,
            program=data.program,
            initiating_visit_on=data.initiating_visit_on,
            consent_on=data.consent_on,
            consent_method=data.consent_method,
            consent_note=data.consent_note or "",
            cadence_days=data.cadence_days,
        ),
        today,
        errors,
    )
    if errors.items:
        raise Invalid(errors.items[0][1], errors.items)
    cadence = data.cadence_days if data.cadence_days != clinic.default_cadence_days else None
    episode = Episode(
        patient_id=patient.id,
        program=data.program,
        status="enrolled",
        initiating_visit_on=data.initiating_visit_on,
        consent_on=data.consent_on,
        consent_method=data.consent_method,
        consent_note=data.consent_note or None,
        started_on=today,
        cadence_days=cadence,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(episode)
            session.flush()
    except IntegrityError:
        raise Conflict("This patient already has an open episode.") from None
    if data.care_plan is not None:
        plan = data.care_plan
        session.add(
            CarePlan(
                episode_id=episode.id,
                version=1,
                goals=plan.goals,
                safety_steps=plan.safety_steps,
                medications=plan.medications or None,
                skill_plan=plan.skill_plan or None,
                follow_up=plan.follow_up or None,
                created_by_id=staff.id,
                created_at=now,
            )
        )
    schedule.create_schedules(
        session,
        episode,
        {"PHQ-9": now, "GAD-7": send_at(patient, now) + GAD7_AFTER_TEXTED_PHQ9},
    )
    try:
        require_textable(patient)
    except NotTextable:
        pass  # the patient chart says why; care goes on by phone
    else:
        send_welcome(session, patient, now)
    session.flush()
    return episode


def _episode_error(exc: EpisodeError):
    if exc.field is None:
        return Conflict(exc.message)
    field = exc.field.replace("referral_", "referral.", 1)
    return Invalid(exc.message, [(field, exc.message)])


def _require_open(session: Session, episode: Episode) -> Patient:
    if episode.status not in OPEN_EPISODE_STATUSES:
        raise Conflict(_ENDED)
    patient = session.get(Patient, episode.patient_id)
    if open_episode(session, patient.id) is not episode:
        raise Conflict(_ENDED)
    return patient


def update_status(
    session: Session, episode: Episode, data: EpisodeUpdate, staff: Staff, now: datetime
) -> bool:
    """Make an open episode active, or step it down to relapse prevention (a note is needed;
    the care plan gets a new version). False when it already had that status."""
    patient = _require_open(session, episode)
    if episode.status == data.status:
        return False
    if data.status == "active":
        episode.status = "active"
        session.flush()
        return True
    if not data.note:
        raise Invalid.field("note", "Say why the patient steps down to relapse prevention.")
    try:
        close_episode(
            session, patient, CloseData(outcome="relapse_prevention", note=data.note), staff, now
        )
    except EpisodeError as exc:
        raise _episode_error(exc) from None
    return True


def close(
    session: Session, episode: Episode, data: EpisodeClose, staff: Staff, now: datetime
) -> int | None:
    """End an open episode as completed, transferred or disengaged (``closing`` checks the
    outreach attempts and the re-entry note). Returns the id of a transfer's referral."""
    patient = _require_open(session, episode)
    referral = None
    if data.referral is not None:
        referral = ReferralData(
            kind=data.referral.kind,
            to_whom=data.referral.to_whom,
            due_by=data.referral.due_by,
            note=data.referral.note,
        )
    close_data = CloseData(
        outcome=data.outcome, note=data.note, reentry_note=data.reentry_note, referral=referral
    )
    try:
        _closed, made = close_episode(session, patient, close_data, staff, now)
    except EpisodeError as exc:
        raise _episode_error(exc) from None
    return made.id if made is not None else None
