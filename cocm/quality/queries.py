"""The set-based statements behind the quality dashboard: six, whatever the clinic's size.

Each statement covers a whole window of months at once: rows are sorted into months with a CASE
over the months' UTC bounds (plain SQL that SQLite and PostgreSQL read alike), and grouped by
episode, so six months of a 20,000-patient clinic cost the same six statements as one month of
five patients.

An assessment, contact or review without an episode belongs to the patient's episode whose dates
cover it (the registry's rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import CTE, and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from cocm.models import (
    Assessment,
    CarePlan,
    CaseReviewItem,
    Contact,
    Episode,
    Membership,
    Patient,
    QueueItem,
    Staff,
)
from cocm.models.enums import OPEN_EPISODE_STATUSES
from cocm.quality.months import Month
from cocm.registry.queries import SCORED, belongs, first_last_scores

__all__ = ["SCORED"]  # cocm.quality.measures names the instruments from here


class EpisodeRow(NamedTuple):
    id: int
    patient_id: int
    status: str
    program: str
    started_on: Any
    ended_on: Any
    consent_on: Any
    first_name: str
    last_name: str
    mrn: str
    care_manager_id: int | None
    first_plan_at: datetime | None


class ScoreBucket(NamedTuple):
    """One episode's complete scores of one instrument inside one bucket (-1: before the
    window; 0..n-1: the window's months): the first and last, with their totals."""

    episode_id: int
    instrument: str
    bucket: int
    first_at: datetime
    first_total: int
    last_at: datetime
    last_total: int


class RiskItem(NamedTuple):
    id: int
    patient_id: int | None
    care_manager_id: int | None
    first_name: str | None
    last_name: str | None
    mrn: str | None
    kind: str
    opened_at: datetime
    acknowledged_at: datetime | None
    closed_at: datetime | None


class Manager(NamedTuple):
    id: int
    name: str
    fte: float | None


def scope(clinic_id: int, months: Sequence[Month], care_manager_id: int | None = None) -> CTE:
    """Episodes of the clinic that were open at some point in the window (the billing month's
    overlap rule: a closed episode needs its end date to count)."""
    first, last = months[0], months[-1]
    query = (
        select(
            Episode.id.label("episode_id"),
            Episode.patient_id,
            Episode.started_on,
            Episode.ended_on,
        )
        .join(Patient, Patient.id == Episode.patient_id)
        .where(
            Patient.clinic_id == clinic_id,
            Episode.started_on < last.end,
            or_(
                Episode.ended_on >= first.start,
                and_(Episode.ended_on.is_(None), Episode.status.in_(OPEN_EPISODE_STATUSES)),
            ),
        )
    )
    if care_manager_id is not None:
        query = query.where(Patient.care_manager_id == care_manager_id)
    return query.cte("quality_scope")


def bucket_of(column, months: Sequence[Month]) -> Any:
    """-1 before the window, k for the window's k-th month (by its UTC bounds), else NULL."""
    whens = [(column < months[0].start_utc, literal(-1))]
    whens += [(column < m.end_utc, literal(k)) for k, m in enumerate(months)]
    return case(*whens, else_=None)


def episodes(session: Session, s: CTE) -> list[EpisodeRow]:
    """The scope's episodes with the patient, care manager and first care-plan time."""
    first_plan = (
        select(func.min(CarePlan.created_at))
        .where(CarePlan.episode_id == Episode.id)
        .correlate(Episode)
        .scalar_subquery()
    )
    query = (
        select(
            Episode.id,
            Episode.patient_id,
            Episode.status,
            Episode.program,
            Episode.started_on,
            Episode.ended_on,
            Episode.consent_on,
            Patient.first_name,
            Patient.last_name,
            Patient.mrn,
            Patient.care_manager_id,
            first_plan.label("first_plan_at"),
        )
        .join(s, s.c.episode_id == Episode.id)
        .join(Patient, Patient.id == Episode.patient_id)
        .order_by(Patient.last_name, Patient.first_name, Patient.id, Episode.id)
    )
    return [EpisodeRow._make(row) for row in session.execute(query)]


def contacts(session: Session, s: CTE, months: Sequence[Month]) -> dict[int, tuple]:
    """Per episode: (reached contacts in each month, the latest next-contact date planned by a
    contact recorded before each month's as-of moment)."""
    reached = Contact.outcome == "reached"
    columns = []
    for k, m in enumerate(months):
        in_month = and_(Contact.occurred_at >= m.start_utc, Contact.occurred_at < m.end_utc)
        columns.append(func.sum(case((and_(reached, in_month), 1), else_=0)).label(f"reached_{k}"))
        columns.append(
            func.max(
                case((Contact.occurred_at < m.as_of, Contact.next_contact_at), else_=None)
            ).label(f"next_{k}")
        )
    query = (
        select(s.c.episode_id, *columns)
        .join(s, s.c.patient_id == Contact.patient_id)
        .where(
            belongs(s, Contact.episode_id, Contact.occurred_at),
            Contact.occurred_at < months[-1].as_of,
        )
        .group_by(s.c.episode_id)
    )
    n = len(months)
    return {
        row[0]: (
            tuple(int(row[1 + 2 * k] or 0) for k in range(n)),
            tuple(row[2 + 2 * k] for k in range(n)),
        )
        for row in session.execute(query)
    }


def scores(session: Session, s: CTE, months: Sequence[Month]) -> list[ScoreBucket]:
    """First and last complete PHQ-9/GAD-7 per episode, instrument and month bucket: the
    registry's statement (``cocm.registry.queries.first_last_scores``) with a month bucket."""
    query = first_last_scores(
        s, bucket=bucket_of(Assessment.completed_at, months), before=months[-1].as_of
    )
    found: dict[tuple, ScoreBucket] = {}
    for row in session.execute(query):
        # Two assessments at one instant: the later id wins (the order above puts it last).
        found[(row[0], row[1], row[2])] = ScoreBucket(*row)
    return list(found.values())


def reviews(session: Session, s: CTE, months: Sequence[Month]) -> dict[int, tuple]:
    """Per episode: the last case-review discussion before each month's as-of moment."""
    columns = [
        func.max(
            case((CaseReviewItem.reviewed_at < m.as_of, CaseReviewItem.reviewed_at), else_=None)
        ).label(f"review_{k}")
        for k, m in enumerate(months)
    ]
    query = (
        select(s.c.episode_id, *columns)
        .join(s, s.c.patient_id == CaseReviewItem.patient_id)
        .where(
            CaseReviewItem.reviewed_at.is_not(None),
            belongs(s, CaseReviewItem.episode_id, CaseReviewItem.reviewed_at),
        )
        .group_by(s.c.episode_id)
    )
    return {row[0]: tuple(row[1:]) for row in session.execute(query)}


def risk_items(
    session: Session, clinic_id: int, months: Sequence[Month], care_manager_id: int | None = None
) -> list[RiskItem]:
    """Urgent (risk) queue items opened in the window, drills left out."""
    query = (
        select(
            QueueItem.id,
            QueueItem.patient_id,
            Patient.care_manager_id,
            Patient.first_name,
            Patient.last_name,
            Patient.mrn,
            QueueItem.kind,
            QueueItem.opened_at,
            QueueItem.acknowledged_at,
            QueueItem.closed_at,
        )
        .outerjoin(Patient, Patient.id == QueueItem.patient_id)
        .where(
            QueueItem.clinic_id == clinic_id,
            QueueItem.priority == "urgent",
            QueueItem.is_drill.is_(False),
            QueueItem.kind != "drill",
            QueueItem.opened_at >= months[0].start_utc,
            QueueItem.opened_at < months[-1].as_of,
        )
        .order_by(QueueItem.opened_at, QueueItem.id)
    )
    if care_manager_id is not None:
        query = query.where(Patient.care_manager_id == care_manager_id)
    return [RiskItem._make(row) for row in session.execute(query)]


def managers(session: Session, clinic_id: int) -> list[Manager]:
    """Care managers of the clinic with their FTE, and anyone else patients are assigned to."""
    fte = (
        select(Membership.staff_id, Membership.fte)
        .where(Membership.clinic_id == clinic_id, Membership.role == "care_manager")
        .subquery("cm_fte")
    )
    assigned = select(Patient.care_manager_id).where(
        Patient.clinic_id == clinic_id, Patient.care_manager_id.is_not(None)
    )
    query = (
        select(Staff.id, Staff.full_name, fte.c.fte)
        .outerjoin(fte, fte.c.staff_id == Staff.id)
        .where(or_(fte.c.staff_id.is_not(None), Staff.id.in_(assigned)))
        .order_by(Staff.full_name, Staff.id)
    )
    return [Manager._make(row) for row in session.execute(query)]
