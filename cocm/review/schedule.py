"""The standing weekly case review of each clinic, its sessions and who attended.

A clinic reviews once a week at ``review_weekday`` (ISO 1-7) and ``review_time`` (local). A
session row is created for the next slot when anyone asks for it (``ensure_upcoming_review``,
idempotent, safe to race); it is *planned* until the consultant starts it (*in progress*) and
*done* once finished.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocm.episodes.service import holds_role
from cocm.models import (
    CaseReview,
    CaseReviewAttendee,
    CaseReviewItem,
    Clinic,
    Membership,
    Staff,
)
from cocm.review.errors import NotAllowed, ReviewError

ATTENDEE_ROLES = ("care_manager", "treating_clinician", "psychiatric_consultant", "clinic_lead")


def slot_on(clinic: Clinic, day: date) -> datetime:
    """The UTC moment of the clinic's review time on local ``day``."""
    local = datetime.combine(day, clinic.review_time, tzinfo=ZoneInfo(clinic.timezone))
    return local.astimezone(UTC)


def next_slot_day(clinic: Clinic, now: datetime) -> date | None:
    """The clinic's review day on or after today (local), or None without a standing slot."""
    if clinic.review_weekday is None or clinic.review_time is None:
        return None
    today = now.astimezone(ZoneInfo(clinic.timezone)).date()
    return today + timedelta(days=(clinic.review_weekday - today.isoweekday()) % 7)


def get_or_create_review(session: Session, clinic: Clinic, scheduled_for: datetime) -> CaseReview:
    """The clinic's review at ``scheduled_for``, created if missing (a concurrent creation is
    caught by the unique constraint and the winner's row returned)."""
    query = select(CaseReview).where(
        CaseReview.clinic_id == clinic.id, CaseReview.scheduled_for == scheduled_for
    )
    review = session.scalar(query)
    if review is not None:
        return review
    try:
        with session.begin_nested():
            review = CaseReview(clinic_id=clinic.id, scheduled_for=scheduled_for, status="planned")
            session.add(review)
    except IntegrityError:
        review = session.scalar(query)
    return review


def ensure_upcoming_review(session: Session, clinic: Clinic, now: datetime) -> CaseReview | None:
    """The clinic's next review not yet done: today's slot (even if its hour has passed, until it
    is finished) or the next week's; created when missing. None without a standing slot."""
    day = next_slot_day(clinic, now)
    if day is None:
        return None
    for candidate in (day, day + timedelta(days=7)):
        review = get_or_create_review(session, clinic, slot_on(clinic, candidate))
        if review.status != "done":
            return review
    return review  # pragma: no cover - two finished reviews ahead of time


def clinic_reviews(
    session: Session, clinic_ids: Collection[int], now: datetime, past_limit: int = 20
) -> tuple[list[CaseReview], list[CaseReview]]:
    """(upcoming, past) reviews of these clinics: not done and scheduled from today on, soonest
    first; then the rest, newest first (at most ``past_limit``)."""
    if not clinic_ids:
        return [], []
    recent = now - timedelta(hours=24)
    upcoming = list(
        session.scalars(
            select(CaseReview)
            .where(
                CaseReview.clinic_id.in_(list(clinic_ids)),
                CaseReview.status != "done",
                CaseReview.scheduled_for >= recent,
            )
            .order_by(CaseReview.scheduled_for, CaseReview.id)
        )
    )
    past = list(
        session.scalars(
            select(CaseReview)
            .where(
                CaseReview.clinic_id.in_(list(clinic_ids)),
                CaseReview.id.not_in([r.id for r in upcoming] or [0]),
            )
            .order_by(CaseReview.scheduled_for.desc(), CaseReview.id.desc())
            .limit(past_limit)
        )
    )
    return upcoming, past


def item_counts(session: Session, review_ids: Collection[int]) -> dict[int, tuple[int, int]]:
    """Per review: (patients on the agenda, patients reviewed), in one statement."""
    if not review_ids:
        return {}
    query = (
        select(
            CaseReviewItem.review_id,
            func.count(CaseReviewItem.id),
            func.count(CaseReviewItem.reviewed_at),
        )
        .where(CaseReviewItem.review_id.in_(list(review_ids)))
        .group_by(CaseReviewItem.review_id)
    )
    return {review_id: (total, reviewed) for review_id, total, reviewed in session.execute(query)}


def _require(session: Session, staff: Staff, clinic_id: int, roles: tuple[str, ...], what: str):
    if not any(holds_role(session, staff, clinic_id, role) for role in roles):
        raise NotAllowed(what)


def start_review(session: Session, review: CaseReview, staff: Staff, now: datetime) -> bool:
    """The consultant starts the session: in progress, led by them, who attends. False if it was
    already running with a consultant."""
    _require(
        session,
        staff,
        review.clinic_id,
        ("psychiatric_consultant",),
        "Only the clinic's psychiatric consultant runs a case review.",
    )
    if review.status == "done":
        raise ReviewError(None, "This review is finished.")
    changed = False
    if review.status == "planned":
        review.status = "in_progress"
        changed = True
    if review.consultant_id is None:
        review.consultant_id = staff.id
        changed = True
    attend(session, review, staff.id)
    session.flush()
    return changed


def finish_review(session: Session, review: CaseReview, staff: Staff, now: datetime) -> bool:
    """The consultant closes the session; patients not reached come back on the next agenda
    (through their flags or, for care managers' questions, carried over)."""
    _require(
        session,
        staff,
        review.clinic_id,
        ("psychiatric_consultant",),
        "Only the clinic's psychiatric consultant finishes a case review.",
    )
    if review.status == "done":
        return False
    review.status = "done"
    if review.consultant_id is None:
        review.consultant_id = staff.id
    session.flush()
    return True


def attendee_ids(session: Session, review_id: int) -> set[int]:
    return set(
        session.scalars(
            select(CaseReviewAttendee.staff_id).where(CaseReviewAttendee.review_id == review_id)
        )
    )


def attend(session: Session, review: CaseReview, staff_id: int) -> None:
    if staff_id not in attendee_ids(session, review.id):
        session.add(CaseReviewAttendee(review_id=review.id, staff_id=staff_id))
        session.flush()


def eligible_attendees(session: Session, clinic_id: int) -> list[Staff]:
    """Active staff of the clinic in a clinical role, by name."""
    return list(
        session.scalars(
            select(Staff)
            .join(Membership, Membership.staff_id == Staff.id)
            .where(
                Membership.clinic_id == clinic_id,
                Membership.role.in_(ATTENDEE_ROLES),
                Staff.is_active.is_(True),
            )
            .distinct()
            .order_by(Staff.full_name, Staff.id)
        )
    )


def set_attendees(
    session: Session, review: CaseReview, staff_ids: Collection[int], actor: Staff, now: datetime
) -> bool:
    """Replace who attended; True when the list changed. Care-manager minutes of the patients
    already discussed follow the list (see ``cocm.review.record.sync_time``)."""
    from cocm.review.record import sync_review_time

    _require(
        session,
        actor,
        review.clinic_id,
        ("psychiatric_consultant", "care_manager", "clinic_lead"),
        "Only the consultant, a care manager or the clinic lead records who attended.",
    )
    allowed = {s.id for s in eligible_attendees(session, review.clinic_id)}
    wanted = set(staff_ids)
    if wanted - allowed:
        raise ReviewError("attendees", "Choose attendees from this clinic's care team.")
    current = attendee_ids(session, review.id)
    if wanted == current:
        return False
    if current - wanted:
        session.execute(
            delete(CaseReviewAttendee).where(
                CaseReviewAttendee.review_id == review.id,
                CaseReviewAttendee.staff_id.in_(current - wanted),
            )
        )
    for staff_id in sorted(wanted - current):
        session.add(CaseReviewAttendee(review_id=review.id, staff_id=staff_id))
    session.flush()
    sync_review_time(session, review, now)
    return True
