"""The clinical sections of the audit packet: diagnosis targets, care-plan changes, case review.

Pure reads for one patient-month (``cocm.quality.packet`` assembles them with the time log).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from cocm.instruments import outcomes
from cocm.models import Assessment, CarePlan, CaseReview, CaseReviewItem, Episode, Recommendation
from cocm.quality.months import Month

TARGETS = (("PHQ-9", "Depression"), ("GAD-7", "Anxiety"))


@dataclass
class Target:
    """A diagnosis target (PHQ-9 for depression, GAD-7 for anxiety) and where it stands."""

    instrument: str
    condition: str
    baseline: int
    baseline_on: date
    current: int
    current_on: date
    scores_in_month: list[tuple[date, int]]

    @property
    def change(self) -> float | None:
        return outcomes.percent_change(self.baseline, self.current)

    @property
    def response(self) -> bool:
        return outcomes.is_response(self.baseline, self.current)

    @property
    def remission(self) -> bool:
        return outcomes.is_remission(self.current)

    @property
    def improved(self) -> bool:
        return outcomes.is_clinically_significant_improvement(self.baseline, self.current)

    @property
    def goal(self) -> str:
        return (
            f"remission (under {outcomes.REMISSION_BELOW}); response at {self.baseline // 2} "
            f"or less (half the baseline of {self.baseline})"
        )


@dataclass
class PlanChange:
    plan: CarePlan
    previous: CarePlan | None
    in_month: bool

    @property
    def goals_changed(self) -> bool:
        return self.previous is None or self.previous.goals.strip() != self.plan.goals.strip()


@dataclass
class ReviewNote:
    item: CaseReviewItem
    review: CaseReview
    recommendations: list[Recommendation]
    plans_after: list[CarePlan]


def targets_for(assessments: list[Assessment], episode: Episode | None, month: Month, zone):
    if episode is None:
        return []
    targets = []
    for code, condition in TARGETS:
        points = [
            (a.completed_at, a.total)
            for a in assessments
            if a.instrument == code
            and (
                a.episode_id == episode.id
                or (
                    a.episode_id is None
                    and a.completed_at.astimezone(zone).date() >= episode.started_on
                    and (
                        episode.ended_on is None
                        or a.completed_at.astimezone(zone).date() <= episode.ended_on
                    )
                )
            )
        ]
        if not points:
            continue
        points.sort(key=lambda p: p[0])
        (first_at, first), (last_at, last) = points[0], points[-1]
        targets.append(
            Target(
                instrument=code,
                condition=condition,
                baseline=first,
                baseline_on=first_at.astimezone(zone).date(),
                current=last,
                current_on=last_at.astimezone(zone).date(),
                scores_in_month=[
                    (at.astimezone(zone).date(), total)
                    for at, total in points
                    if month.start_utc <= at < month.end_utc
                ],
            )
        )
    return targets


def plan_changes(plans: list[CarePlan], episode: Episode | None, m: Month) -> list[PlanChange]:
    """The version in force when the month began, then every version written in the month."""
    if episode is None:
        return []
    mine = [p for p in plans if p.episode_id == episode.id and p.created_at < m.end_utc]
    changes: list[PlanChange] = []
    previous: CarePlan | None = None
    for plan in mine:
        in_month = plan.created_at >= m.start_utc
        if in_month:
            if previous is not None and not changes:
                changes.append(PlanChange(previous, None, in_month=False))
            changes.append(PlanChange(plan, previous, in_month=True))
        previous = plan
    if not changes and previous is not None:
        changes.append(PlanChange(previous, None, in_month=False))
    return changes


def review_notes(session: Session, patient_id: int, m: Month, plans: list[CarePlan]):
    """Case-review items of the month (reviewed in it, or on a review held in it)."""
    rows = list(
        session.execute(
            select(CaseReviewItem, CaseReview)
            .join(CaseReview, CaseReview.id == CaseReviewItem.review_id)
            .where(
                CaseReviewItem.patient_id == patient_id,
                or_(
                    and_(
                        CaseReviewItem.reviewed_at >= m.start_utc,
                        CaseReviewItem.reviewed_at < m.end_utc,
                    ),
                    and_(
                        CaseReviewItem.reviewed_at.is_(None),
                        CaseReview.scheduled_for >= m.start_utc,
                        CaseReview.scheduled_for < m.end_utc,
                    ),
                ),
            )
            .order_by(CaseReview.scheduled_for, CaseReviewItem.id)
        )
    )
    if not rows:
        return []
    recs: dict[int, list[Recommendation]] = defaultdict(list)
    for rec in session.scalars(
        select(Recommendation)
        .where(Recommendation.review_item_id.in_([item.id for item, _ in rows]))
        .order_by(Recommendation.created_at, Recommendation.id)
    ):
        recs[rec.review_item_id].append(rec)
    notes = []
    for item, review in rows:
        mine = recs.get(item.id, [])
        rec_ids = {r.id for r in mine}
        notes.append(
            ReviewNote(
                item=item,
                review=review,
                recommendations=mine,
                plans_after=[p for p in plans if p.recommendation_id in rec_ids],
            )
        )
    return notes
