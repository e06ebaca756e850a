"""A recommendation's age, and when it is overdue.

A recommendation is *open* from the consultant's proposal until the loop closes: the clinician
declines it, or the care manager has told the patient (communicated). Its age is counted in the
clinic's calendar days from the day it was proposed; it is *overdue* once its age passes the
clinic's ``recommendation_limit_days`` (default 7): proposed on Mar 2 with a limit of 7, it is
overdue from Mar 10.

This module imports only the models: the registry calls ``overdue_flags`` for its
"recommendation overdue" flag, and the case-review pages use the same rule.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import CTE, and_, or_, select
from sqlalchemy.orm import Session

from cocm.models import CaseReviewItem, Clinic, Patient, Recommendation

OPEN_STATUSES = ("proposed", "approved", "modified")
CLOSED_STATUSES = ("declined", "communicated")
FLAG = "recommendation_overdue"


def age_days(created_at: datetime, today: date, zone: str) -> int:
    """Whole calendar days since the recommendation was proposed, in the clinic's zone."""
    return max(0, (today - created_at.astimezone(ZoneInfo(zone)).date()).days)


def is_overdue(status: str, created_at: datetime, limit_days: int, today: date, zone: str) -> bool:
    return status in OPEN_STATUSES and age_days(created_at, today, zone) > limit_days


def _day(day: date) -> str:
    return f"{day:%b} {day.day}"


def overdue_flags(session: Session, scope: CTE, today: date) -> dict[int, str]:
    """The registry's "recommendation overdue" flag: episode id -> reason, for the episodes of
    ``scope`` (the registry's CTE with ``episode_id`` and ``patient_id``).

    One statement whatever the size. A recommendation belongs to the episode its agenda item
    names, or to every scope episode of the patient when the item names none.
    """
    query = (
        select(
            scope.c.episode_id,
            Recommendation.created_at,
            Clinic.recommendation_limit_days,
            Clinic.timezone,
        )
        .join(scope, scope.c.patient_id == Recommendation.patient_id)
        .join(CaseReviewItem, CaseReviewItem.id == Recommendation.review_item_id)
        .join(Patient, Patient.id == Recommendation.patient_id)
        .join(Clinic, Clinic.id == Patient.clinic_id)
        .where(
            Recommendation.status.in_(OPEN_STATUSES),
            or_(
                CaseReviewItem.episode_id.is_(None),
                CaseReviewItem.episode_id == scope.c.episode_id,
            ),
        )
    )
    oldest: dict[int, tuple[int, date]] = {}
    for episode_id, created_at, limit, zone in session.execute(query):
        age = age_days(created_at, today, zone)
        if age <= limit:
            continue
        created_on = created_at.astimezone(ZoneInfo(zone)).date()
        if episode_id not in oldest or created_on < oldest[episode_id][1]:
            oldest[episode_id] = (age, created_on)
    return {
        episode_id: f"Recommendation of {_day(on)} open {age} days"
        for episode_id, (age, on) in oldest.items()
    }


@dataclass(frozen=True)
class OverdueRecommendation:
    recommendation_id: int
    patient_id: int
    clinic_id: int
    status: str
    kind: str
    created_at: datetime
    age: int
    limit: int


def overdue_recommendations(
    session: Session, clinic_ids: Collection[int], now: datetime
) -> list[OverdueRecommendation]:
    """Open recommendations past their clinic's limit, oldest first (one statement)."""
    if not clinic_ids:
        return []
    query = (
        select(
            Recommendation.id,
            Recommendation.patient_id,
            Patient.clinic_id,
            Recommendation.status,
            Recommendation.kind,
            Recommendation.created_at,
            Clinic.recommendation_limit_days,
            Clinic.timezone,
        )
        .join(Patient, Patient.id == Recommendation.patient_id)
        .join(Clinic, Clinic.id == Patient.clinic_id)
        .where(
            and_(
                Patient.clinic_id.in_(list(clinic_ids)),
                Recommendation.status.in_(OPEN_STATUSES),
            )
        )
        .order_by(Recommendation.created_at, Recommendation.id)
    )
    found = []
    for row in session.execute(query):
        today = now.astimezone(ZoneInfo(row.timezone)).date()
        age = age_days(row.created_at, today, row.timezone)
        if age > row.recommendation_limit_days:
            found.append(
                OverdueRecommendation(
                    recommendation_id=row.id,
                    patient_id=row.patient_id,
                    clinic_id=row.clinic_id,
                    status=row.status,
                    kind=row.kind,
                    created_at=row.created_at,
                    age=age,
                    limit=row.recommendation_limit_days,
                )
            )
    return found
