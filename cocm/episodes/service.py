"""Finding an episode, the six-month re-entry rule, and care plan signing (DESIGN section 4).

Closing and stepping down live in ``cocm.episodes.closing``.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocm.models import CarePlan, Contact, Episode, Membership, Patient, Staff, TimeEntry
from cocm.models.enums import OPEN_EPISODE_STATUSES

REENTRY_MONTHS = 6


class EpisodeError(ValueError):
    """A change to an episode the form must correct; ``field`` names the form field or None."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


def open_episode(session: Session, patient_id: int) -> Episode | None:
    """The patient's one open episode (enrolled, active or relapse prevention), if any."""
    return session.scalar(
        select(Episode).where(
            Episode.patient_id == patient_id, Episode.status.in_(OPEN_EPISODE_STATUSES)
        )
    )


def latest_episode(session: Session, patient_id: int) -> Episode | None:
    return session.scalar(
        select(Episode)
        .where(Episode.patient_id == patient_id)
        .order_by(Episode.started_on.desc(), Episode.id.desc())
        .limit(1)
    )


def add_months(day: date, months: int) -> date:
    """The same day ``months`` calendar months later (the 31st becomes the month's last day)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def last_service_on(session: Session, patient_id: int) -> date | None:
    """The last day the patient had CoCM services: an episode end, a contact or logged time."""
    ended = session.scalar(
        select(func.max(Episode.ended_on)).where(Episode.patient_id == patient_id)
    )
    contacted = session.scalar(
        select(func.max(Contact.occurred_at)).where(Contact.patient_id == patient_id)
    )
    logged = session.scalar(
        select(func.max(TimeEntry.performed_on)).where(TimeEntry.patient_id == patient_id)
    )
    if isinstance(contacted, datetime):
        contacted = contacted.date()
    days = [d for d in (ended, contacted, logged) if d is not None]
    return max(days) if days else None


def reentry_blocked(session: Session, patient: Patient, today: date) -> str | None:
    """Why a new episode cannot start today for this patient, or None if it can."""
    if open_episode(session, patient.id) is not None:
        return "This patient already has an open episode."
    if latest_episode(session, patient.id) is None:
        return None
    last = last_service_on(session, patient.id)
    if last is not None and today < add_months(last, REENTRY_MONTHS):
        earliest = add_months(last, REENTRY_MONTHS)
        return (
            f"A new episode can start six months after the last CoCM service "
            f"({last.isoformat()}), so from {earliest.isoformat()}."
        )
    return None


def holds_role(session: Session, staff: Staff, clinic_id: int, role: str) -> bool:
    return (
        session.scalar(
            select(Membership.id).where(
                Membership.staff_id == staff.id,
                Membership.clinic_id == clinic_id,
                Membership.role == role,
            )
        )
        is not None
    )


def sign_care_plan(session: Session, plan: CarePlan, staff: Staff, now: datetime) -> bool:
    """The treating clinician signs a care plan version; False if it was already signed.

    Only a treating clinician of the patient's clinic may sign, and only the latest version.
    """
    episode = plan.episode
    patient = episode.patient
    if not holds_role(session, staff, patient.clinic_id, "treating_clinician"):
        raise EpisodeError(None, "Only a treating clinician of this clinic can sign care plans.")
    if plan.signed_at is not None:
        return False
    latest = session.scalar(
        select(func.max(CarePlan.version)).where(CarePlan.episode_id == episode.id)
    )
    if plan.version != latest:
        raise EpisodeError(None, "A newer version of this care plan exists; sign that one.")
    plan.signed_by_id = staff.id
    plan.signed_at = now
    session.flush()
    return True


def plans_to_sign(session: Session, clinic_ids: set[int], staff_id: int) -> list[tuple]:
    """Unsigned latest care plan versions of open episodes, the clinician's own patients first.

    Rows of (CarePlan, Patient).
    """
    latest = (
        select(CarePlan.episode_id, func.max(CarePlan.version).label("version"))
        .group_by(CarePlan.episode_id)
        .subquery()
    )
    mine = (Patient.treating_clinician_id == staff_id).desc()
    return list(
        session.execute(
            select(CarePlan, Patient)
            .join(
                latest,
                (latest.c.episode_id == CarePlan.episode_id)
                & (latest.c.version == CarePlan.version),
            )
            .join(Episode, Episode.id == CarePlan.episode_id)
            .join(Patient, Patient.id == Episode.patient_id)
            .where(
                CarePlan.signed_at.is_(None),
                Episode.status.in_(OPEN_EPISODE_STATUSES),
                Patient.clinic_id.in_(clinic_ids),
            )
            .order_by(mine, CarePlan.created_at, CarePlan.id)
        ).all()
    )
