"""Read-only lists of recommendations: the clinician's inbox, the care manager's loop list, the
chart's trail and the open recommendations shown on an agenda.

Each is a fixed number of set-based statements whatever the number of patients; staff names
are fetched once per list. Reads only; the caller audits.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from cocm.models import (
    CarePlan,
    CaseReview,
    CaseReviewItem,
    Clinic,
    Episode,
    Membership,
    Patient,
    Recommendation,
    Staff,
)
from cocm.review.overdue import OPEN_STATUSES, age_days
from cocm.review.recommendations import (
    COMMUNICATION_WAYS,
    DECIDED_STATUSES,
    KIND_LABELS,
    STATUS_LABELS,
)


@dataclass
class RecView:
    """One recommendation as the pages show it: state, age, who did what, the plan it made."""

    rec: Recommendation
    patient: Patient
    clinic_name: str
    zone: str
    limit: int
    today: date
    review_id: int
    reviewed_for: datetime
    assessment: str | None
    approver: str
    names: dict[int, str]
    plans: list[CarePlan] = field(default_factory=list)

    @property
    def age(self) -> int:
        return age_days(self.rec.created_at, self.today, self.zone)

    @property
    def is_open(self) -> bool:
        return self.rec.status in OPEN_STATUSES

    @property
    def overdue(self) -> bool:
        return self.is_open and self.age > self.limit

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.rec.status]

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.rec.kind]

    @property
    def how_label(self) -> str | None:
        how = self.rec.communicated_how
        return COMMUNICATION_WAYS.get(how, how) if how else None

    @property
    def text(self) -> str:
        """The recommendation as it stands: the clinician's version when modified."""
        base = self.rec.modified_detail or self.rec.detail
        return (
            f"{base} ({self.rec.dose})" if self.rec.dose and not self.rec.modified_detail else base
        )

    def name(self, staff_id: int | None) -> str:
        return self.names.get(staff_id, "—") if staff_id is not None else "—"


def staff_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    query = select(Staff.id, Staff.full_name).where(Staff.id.in_(wanted))
    return {staff_id: name for staff_id, name in session.execute(query)}


def _base_query():
    """Recommendations with their patient, clinic, review and the patient's current approver
    (the treating clinician when still an active one of the clinic, else NULL: anyone)."""
    member = aliased(Membership)
    approver = aliased(Staff)
    query = (
        select(
            Recommendation,
            Patient,
            Clinic.name.label("clinic_name"),
            Clinic.timezone.label("zone"),
            Clinic.recommendation_limit_days.label("limit_days"),
            CaseReview.id.label("review_id"),
            CaseReview.scheduled_for,
            CaseReviewItem.assessment,
            approver.id.label("approver_id"),
            approver.full_name.label("approver_name"),
        )
        .join(Patient, Patient.id == Recommendation.patient_id)
        .join(Clinic, Clinic.id == Patient.clinic_id)
        .join(CaseReviewItem, CaseReviewItem.id == Recommendation.review_item_id)
        .join(CaseReview, CaseReview.id == CaseReviewItem.review_id)
        .outerjoin(
            member,
            and_(
                member.staff_id == Patient.treating_clinician_id,
                member.clinic_id == Patient.clinic_id,
                member.role == "treating_clinician",
            ),
        )
        .outerjoin(approver, and_(approver.id == member.staff_id, approver.is_active.is_(True)))
    )
    return query, approver


def _views(session: Session, rows, now: datetime, with_plans: bool = False) -> list[RecView]:
    rows = list(rows)
    plans: dict[int, list[CarePlan]] = {}
    if with_plans and rows:
        for plan in session.scalars(
            select(CarePlan)
            .where(CarePlan.recommendation_id.in_([r[0].id for r in rows]))
            .order_by(CarePlan.version)
        ):
            plans.setdefault(plan.recommendation_id, []).append(plan)
    ids: list[int | None] = []
    for row in rows:
        rec = row[0]
        ids += [rec.proposed_by_id, rec.decided_by_id, rec.communicated_by_id]
        ids += [p.created_by_id for p in plans.get(rec.id, [])]
        ids += [p.signed_by_id for p in plans.get(rec.id, [])]
    names = staff_names(session, ids)
    views = []
    for row in rows:
        views.append(
            RecView(
                rec=row.Recommendation,
                patient=row.Patient,
                clinic_name=row.clinic_name,
                zone=row.zone,
                limit=row.limit_days,
                today=now.astimezone(ZoneInfo(row.zone)).date(),
                review_id=row.review_id,
                reviewed_for=row.scheduled_for,
                assessment=row.assessment,
                approver=row.approver_name or f"Any treating clinician of {row.clinic_name}",
                names=names,
                plans=plans.get(row.Recommendation.id, []),
            )
        )
    return views


def inbox(
    session: Session, clinic_ids: Collection[int], staff_id: int, now: datetime
) -> list[RecView]:
    """Proposed recommendations this treating clinician decides (``clinic_ids``: where they
    are a treating clinician): their own patients', and those of patients without an active
    treating clinician. Oldest first."""
    if not clinic_ids:
        return []
    query, approver = _base_query()
    query = query.where(
        Recommendation.status == "proposed",
        Patient.clinic_id.in_(list(clinic_ids)),
        or_(approver.id == staff_id, approver.id.is_(None)),
    ).order_by(Recommendation.created_at, Recommendation.id)
    return _views(session, session.execute(query), now)


def decided_by(session: Session, staff_id: int, now: datetime, limit: int = 20) -> list[RecView]:
    """The clinician's latest decisions, newest first (to look back at)."""
    query, _ = _base_query()
    query = (
        query.where(Recommendation.decided_by_id == staff_id)
        .order_by(Recommendation.decided_at.desc(), Recommendation.id.desc())
        .limit(limit)
    )
    return _views(session, session.execute(query), now, with_plans=True)


def loop_list(
    session: Session, clinic_ids: Collection[int], staff_id: int, now: datetime
) -> tuple[list[RecView], list[RecView]]:
    """(to tell the patient, waiting for the clinician) in these clinics: the care manager's own
    patients first, then the oldest."""
    if not clinic_ids:
        return [], []
    query, _ = _base_query()
    mine = (Patient.care_manager_id == staff_id).desc()
    query = query.where(
        Recommendation.status.in_(OPEN_STATUSES), Patient.clinic_id.in_(list(clinic_ids))
    ).order_by(mine, Recommendation.created_at, Recommendation.id)
    views = _views(session, session.execute(query), now)
    return (
        [v for v in views if v.rec.status in DECIDED_STATUSES],
        [v for v in views if v.rec.status == "proposed"],
    )


def trail(
    session: Session, patient_id: int, clinic_ids: Collection[int], now: datetime
) -> list[RecView]:
    """Every recommendation made for the patient (of one of ``clinic_ids``), newest first, with
    the care-plan versions it led to (the chart's trail from recommendation to care-plan
    change)."""
    query, _ = _base_query()
    query = query.where(
        Recommendation.patient_id == patient_id, Patient.clinic_id.in_(list(clinic_ids))
    ).order_by(Recommendation.created_at.desc(), Recommendation.id.desc())
    return _views(session, session.execute(query), now, with_plans=True)


def for_review(
    session: Session, review: CaseReview, patient_ids: Collection[int], now: datetime
) -> tuple[dict[int, list[RecView]], dict[int, list[RecView]]]:
    """For an agenda: (this review's recommendations by item id, open recommendations from
    earlier reviews by patient id)."""
    if not patient_ids:
        return {}, {}
    query, _ = _base_query()
    query = query.where(
        Recommendation.patient_id.in_(list(patient_ids)),
        CaseReview.clinic_id == review.clinic_id,
        or_(
            CaseReview.id == review.id,
            and_(
                CaseReview.scheduled_for < review.scheduled_for,
                Recommendation.status.in_(OPEN_STATUSES),
            ),
        ),
    ).order_by(Recommendation.created_at, Recommendation.id)
    here: dict[int, list[RecView]] = {}
    earlier: dict[int, list[RecView]] = {}
    for view in _views(session, session.execute(query), now):
        if view.review_id == review.id:
            here.setdefault(view.rec.review_item_id, []).append(view)
        else:
            earlier.setdefault(view.rec.patient_id, []).append(view)
    return here, earlier


def plans_to_sign_from_recommendations(
    session: Session, clinic_ids: Collection[int], staff_id: int
) -> list[tuple[CarePlan, Patient]]:
    """Care-plan versions written from a recommendation and not yet signed, latest versions of
    open episodes, for this clinician's patients (or patients with no treating clinician)."""
    if not clinic_ids:
        return []
    latest = (
        select(CarePlan.episode_id, func.max(CarePlan.version).label("version"))
        .group_by(CarePlan.episode_id)
        .subquery()
    )
    query = (
        select(CarePlan, Patient)
        .join(
            latest,
            and_(latest.c.episode_id == CarePlan.episode_id, latest.c.version == CarePlan.version),
        )
        .join(Episode, Episode.id == CarePlan.episode_id)
        .join(Patient, Patient.id == Episode.patient_id)
        .where(
            CarePlan.recommendation_id.is_not(None),
            CarePlan.signed_at.is_(None),
            Patient.clinic_id.in_(list(clinic_ids)),
            or_(
                Patient.treating_clinician_id == staff_id,
                Patient.treating_clinician_id.is_(None),
            ),
        )
        .order_by(CarePlan.created_at, CarePlan.id)
    )
    return [(plan, patient) for plan, patient in session.execute(query)]
