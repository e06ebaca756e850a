"""Referrals to therapy, psychiatry, social services and specialty care, tracked until seen.

A referral is open, then scheduled, then seen; or cancelled. It is overdue when the patient was
not seen by its ``due_by`` day (30 days after it was made unless the care manager says
otherwise). It stays tracked after the episode ends: a transfer is finished only when the
patient was seen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.models import Episode, Patient, Referral, Staff
from cocm.models.enums import OPEN_EPISODE_STATUSES, REFERRAL_KINDS

DEFAULT_DUE_DAYS = 30
TRACKED = ("open", "scheduled")
# Which status may follow which; seen and cancelled are final.
NEXT = {"open": ("scheduled", "seen", "cancelled"), "scheduled": ("scheduled", "seen", "cancelled")}


class ReferralError(ValueError):
    """Input a referral cannot accept; ``field`` names the form field."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass
class ReferralData:
    kind: str
    to_whom: str
    note: str | None = None
    due_by: date | None = None


@dataclass
class ReferralUpdate:
    status: str
    on: date | None = None  # the appointment day (scheduled) or the day seen
    note: str | None = None


def create_referral(
    session: Session, patient: Patient, data: ReferralData, staff: Staff, today: date
) -> tuple[Referral, bool]:
    """Make a referral; returns (referral, created).

    An open referral of the same kind to the same place is returned instead of a second one,
    so a form posted twice makes one referral.
    """
    if data.kind not in REFERRAL_KINDS:
        raise ReferralError("kind", "Choose what kind of referral this is.")
    to_whom = (data.to_whom or "").strip()
    if not to_whom:
        raise ReferralError("to_whom", "Say who the patient is referred to.")
    if len(to_whom) > 200:
        raise ReferralError("to_whom", "Keep this under 200 characters.")
    due_by = data.due_by or today + timedelta(days=DEFAULT_DUE_DAYS)
    if due_by < today:
        raise ReferralError("due_by", "The date to be seen by cannot be in the past.")
    existing = session.scalar(
        select(Referral).where(
            Referral.patient_id == patient.id,
            Referral.kind == data.kind,
            Referral.to_whom == to_whom,
            Referral.status.in_(TRACKED),
        )
    )
    if existing is not None:
        return existing, False
    episode_id = session.scalar(
        select(Episode.id)
        .where(Episode.patient_id == patient.id)
        .order_by(Episode.status.in_(OPEN_EPISODE_STATUSES).desc(), Episode.started_on.desc())
        .limit(1)
    )
    referral = Referral(
        patient_id=patient.id,
        episode_id=episode_id,
        kind=data.kind,
        to_whom=to_whom,
        status="open",
        note=(data.note or "").strip() or None,
        due_by=due_by,
        created_by_id=staff.id,
    )
    session.add(referral)
    session.flush()
    return referral, True


def update_referral(
    session: Session, referral: Referral, change: ReferralUpdate, today: date
) -> bool:
    """Mark a referral scheduled, seen or cancelled; False when nothing changed (a repeat post)."""
    if change.status == referral.status and change.status != "scheduled":
        return False
    if change.status not in NEXT.get(referral.status, ()):
        raise ReferralError(
            "status", f"A {referral.status} referral cannot become {change.status}."
        )
    note = (change.note or "").strip()
    if change.status == "scheduled":
        if change.on is None:
            raise ReferralError("on", "Enter the day of the appointment.")
        if referral.status == "scheduled" and referral.scheduled_on == change.on:
            return False
        referral.scheduled_on = change.on
    elif change.status == "seen":
        if change.on is None:
            raise ReferralError("on", "Enter the day the patient was seen.")
        if change.on > today:
            raise ReferralError("on", "The day seen cannot be in the future.")
        referral.seen_on = change.on
    elif change.status == "cancelled" and not note:
        raise ReferralError("note", "Say why the referral was cancelled.")
    referral.status = change.status
    if note:
        referral.note = f"{referral.note}\n{note}" if referral.note else note
    session.flush()
    return True


def is_overdue(referral: Referral, today: date) -> bool:
    return referral.status in TRACKED and referral.due_by is not None and referral.due_by < today


def overdue_referrals(session: Session, clinic_ids, today: date) -> list[Referral]:
    """Referrals in these clinics whose patient was not seen by the due day, oldest due first."""
    return list(
        session.scalars(
            select(Referral)
            .join(Patient, Patient.id == Referral.patient_id)
            .where(
                Patient.clinic_id.in_(list(clinic_ids)),
                Referral.status.in_(TRACKED),
                Referral.due_by < today,
            )
            .order_by(Referral.due_by, Referral.id)
        )
    )


def patient_referrals(session: Session, patient_id: int) -> list[Referral]:
    """A patient's referrals, tracked ones first, newest first within each group."""
    return list(
        session.scalars(
            select(Referral)
            .where(Referral.patient_id == patient_id)
            .order_by(
                Referral.status.in_(TRACKED).desc(), Referral.created_at.desc(), Referral.id.desc()
            )
        )
    )
