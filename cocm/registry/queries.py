"""The set-based statements behind the registry: one statement per question, whatever the size.

Every statement joins the same *scope* (the episodes the registry is asked about) and answers for
all of them at once with GROUP BY or window functions, so 20,000 rows cost what 20 cost.

An assessment or contact recorded without an episode belongs to the patient's episode that
covers its date (on or after the start; before the end when the episode has ended).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    CTE,
    Row,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.orm import Session, aliased

from cocm.billing.queries import served_before
from cocm.billing.rules import COUNTED_ROLES, UNCOUNTED_ACTIVITIES
from cocm.models import (
    Assessment,
    CaseReviewItem,
    Clinic,
    Contact,
    Episode,
    MeasurementSchedule,
    Patient,
    QueueItem,
    Staff,
    TimeEntry,
)
from cocm.registry.flags import UNANSWERED_OUTCOMES
from cocm.registry.scope import belongs, owned, scope  # noqa: F401 - scope is used via here
from cocm.registry.scope import rows as _rows

SCORED = ("PHQ-9", "GAD-7")
RISK_KINDS = ("risk_answer", "risk_words")


class ScoreRow(NamedTuple):
    total: int
    completed_at: datetime


def episodes(session: Session, s: CTE) -> list[Row]:
    """One row per scope episode with the patient, clinic and care manager columns a row shows."""
    manager = aliased(Staff)
    query = (
        select(
            Episode.id.label("episode_id"),
            Episode.status,
            Episode.program,
            Episode.started_on,
            Patient.id.label("patient_id"),
            Patient.first_name,
            Patient.last_name,
            Patient.mrn,
            Patient.timezone,
            Patient.sms_opted_out,
            Patient.phone_problem,
            Patient.care_manager_id,
            manager.full_name.label("care_manager"),
            Clinic.id.label("clinic_id"),
            Clinic.name.label("clinic_name"),
            Clinic.timezone.label("clinic_timezone"),
        )
        .join(s, s.c.episode_id == Episode.id)
        .join(Patient, Patient.id == Episode.patient_id)
        .join(Clinic, Clinic.id == Patient.clinic_id)
        .outerjoin(manager, manager.id == Patient.care_manager_id)
    )
    return list(_rows(session, query))


def first_last_scores(s: CTE, *, bucket: Any = None, before: datetime | None = None) -> Select:
    """The statement behind baseline and last scores, shared with the quality dashboard.

    Per scope episode and instrument (and per ``bucket``, an expression over
    ``Assessment.completed_at``, when given): the first and last complete PHQ-9 or GAD-7, as
    columns episode_id, instrument, [bucket,] first_at, first_total, last_at, last_total.
    ``before`` leaves out assessments completed at or after that moment. ``s`` needs the
    columns episode_id, patient_id, started_on and ended_on.

    The first and last completion times come from one GROUP BY, joined back to the
    assessments at those times through the (patient, instrument, time) index; this beats
    sorting every assessment with a window function, on SQLite and PostgreSQL alike. Rows come
    ordered by the assessments' ids: when two share an instant, the later id comes last, and
    callers keep the last row per key, as a list would.
    """
    conditions = [
        Assessment.status == "completed",
        Assessment.total.is_not(None),
        Assessment.instrument.in_(SCORED),
    ]
    if before is not None:
        conditions.append(Assessment.completed_at < before)
    columns = [Assessment.instrument.label("instrument"), Assessment.completed_at.label("at")]
    if bucket is not None:
        columns.append(bucket.label("bucket"))
    rows = owned(s, Assessment, Assessment.completed_at, columns, conditions).subquery("scored")
    keys = [rows.c.episode_id, rows.c.patient_id, rows.c.instrument]
    if bucket is not None:
        keys.append(rows.c.bucket)
    bounds = (
        select(
            *keys,
            func.min(rows.c.at).label("first_at"),
            func.max(rows.c.at).label("last_at"),
        )
        .group_by(*keys)
        .subquery("score_bounds")
    )
    first, latest = aliased(Assessment, name="first"), aliased(Assessment, name="latest")

    def at(row, moment):
        return and_(
            row.patient_id == bounds.c.patient_id,
            row.instrument == bounds.c.instrument,
            row.completed_at == moment,
            row.status == "completed",
            row.total.is_not(None),
        )

    columns = [bounds.c.episode_id, bounds.c.instrument]
    if bucket is not None:
        columns.append(bounds.c.bucket)
    return (
        select(
            *columns,
            bounds.c.first_at,
            first.total.label("first_total"),
            bounds.c.last_at,
            latest.total.label("last_total"),
        )
        .select_from(bounds)
        .join(first, at(first, bounds.c.first_at))
        .join(latest, at(latest, bounds.c.last_at))
        .order_by(first.id, latest.id)
    )


def scores(session: Session, s: CTE) -> dict[int, dict[str, tuple[Row, Row]]]:
    """Baseline (first) and last complete PHQ-9 and GAD-7 per episode (``first_last_scores``)."""
    found: dict[int, dict[str, tuple[Row, Row]]] = defaultdict(dict)
    for row in _rows(session, first_last_scores(s)):
        found[row.episode_id][row.instrument] = (
            ScoreRow(row.first_total, row.first_at),
            ScoreRow(row.last_total, row.last_at),
        )
    return dict(found)


def last_risk_answers(session: Session, s: CTE) -> dict[int, Any]:
    """When each episode's patient last answered PHQ-9 item 9 above 0 (partial answers count)."""
    when = func.coalesce(Assessment.completed_at, Assessment.started_at)
    query = (
        select(s.c.episode_id, func.max(when))
        .join(s, s.c.patient_id == Assessment.patient_id)
        .where(Assessment.risk.is_(True), func.date(when) >= s.c.started_on)
        .group_by(s.c.episode_id)
    )
    return {key: value for key, value in _rows(session, query)}


def queue_state(session: Session, s: CTE) -> dict[int, Row]:
    """Per episode: open urgent items (drills aside) and the last risk item opened."""
    not_drill = QueueItem.is_drill.is_(False)
    query = (
        select(
            s.c.episode_id,
            func.sum(
                case(
                    (and_(QueueItem.status != "closed", QueueItem.priority == "urgent"), 1),
                    else_=0,
                )
            ).label("open_urgent"),
            func.max(case((QueueItem.kind.in_(RISK_KINDS), QueueItem.opened_at), else_=None)).label(
                "last_risk_item_at"
            ),
        )
        .join(s, s.c.patient_id == QueueItem.patient_id)
        .where(not_drill)
        .group_by(s.c.episode_id)
    )
    return {row.episode_id: row for row in _rows(session, query)}


def contact_summary(session: Session, s: CTE) -> dict[int, Row]:
    """Per episode, from one grouped statement joined back to two contacts:

    the last contact (its time, outcome and next action), the latest contact that planned a
    next contact (the plan, whether confirmed or asked to move, its next action), the first
    initial-assessment contact, the first reached follow-up, and the last answered contact.
    """
    columns = [
        Contact.occurred_at.label("at"),
        Contact.next_contact_at.label("next_at"),
        Contact.outcome.label("outcome"),
        Contact.template.label("template"),
    ]
    rows = owned(s, Contact, Contact.occurred_at, columns, ()).subquery("contacted")
    initial = rows.c.template == "initial_assessment"
    answered = rows.c.outcome.not_in(UNANSWERED_OUTCOMES)
    bounds = (
        select(
            rows.c.episode_id,
            rows.c.patient_id,
            func.max(rows.c.at).label("last_at"),
            func.max(case((rows.c.next_at.is_not(None), rows.c.at), else_=None)).label("plan_at"),
            func.max(case((answered, rows.c.at), else_=None)).label("answered_at"),
            func.min(case((initial, rows.c.at), else_=None)).label("initial_at"),
            func.min(
                case(
                    (
                        and_(rows.c.outcome == "reached", or_(rows.c.template.is_(None), ~initial)),
                        rows.c.at,
                    ),
                    else_=None,
                )
            ).label("first_follow_up_at"),
        )
        .group_by(rows.c.episode_id, rows.c.patient_id)
        .subquery("contact_bounds")
    )
    last, plan = aliased(Contact, name="last_contact"), aliased(Contact, name="plan_contact")
    query = (
        select(
            bounds,
            last.outcome.label("last_outcome"),
            last.next_action.label("last_next_action"),
            plan.next_contact_at,
            plan.next_contact_confirmed_at,
            plan.reschedule_requested_at,
            plan.next_action.label("plan_next_action"),
        )
        .join(
            last, and_(last.patient_id == bounds.c.patient_id, last.occurred_at == bounds.c.last_at)
        )
        .outerjoin(
            plan,
            and_(
                plan.patient_id == bounds.c.patient_id,
                plan.occurred_at == bounds.c.plan_at,
                plan.next_contact_at.is_not(None),
            ),
        )
        # Two contacts at the same instant: the later id wins.
        .order_by(last.id, plan.id)
    )
    return {row.episode_id: row for row in _rows(session, query)}


def unanswered_streaks(session: Session, s: CTE) -> dict[int, int]:
    """Per episode, how many contacts in a row (the latest ones) went unanswered: the contacts
    after the last answered one. Grouped; only the tail of each history is read."""
    rows = owned(
        s, Contact, Contact.occurred_at, [Contact.occurred_at.label("at"), Contact.outcome], ()
    ).cte("owned_contacts")
    answered = rows.c.outcome.not_in(UNANSWERED_OUTCOMES)
    last_answered = (
        select(rows.c.episode_id, func.max(rows.c.at).label("answered_at"))
        .where(answered)
        .group_by(rows.c.episode_id)
        .subquery("last_answered")
    )
    query = (
        select(rows.c.episode_id, func.count())
        .outerjoin(last_answered, last_answered.c.episode_id == rows.c.episode_id)
        .where(
            ~answered,
            or_(last_answered.c.answered_at.is_(None), rows.c.at > last_answered.c.answered_at),
        )
        .group_by(rows.c.episode_id)
    )
    return {episode_id: int(n) for episode_id, n in _rows(session, query)}


def last_reviews(session: Session, s: CTE) -> dict[int, Any]:
    """When each episode was last discussed at a case review (reviewed_at), since it began."""
    query = (
        select(s.c.episode_id, func.max(CaseReviewItem.reviewed_at))
        .join(s, s.c.patient_id == CaseReviewItem.patient_id)
        .where(
            CaseReviewItem.reviewed_at.is_not(None),
            belongs(s, CaseReviewItem.episode_id, CaseReviewItem.reviewed_at),
        )
        .group_by(s.c.episode_id)
    )
    return {key: value for key, value in _rows(session, query)}


def measures_due(session: Session, s: CTE) -> dict[int, Any]:
    """The earliest due date among each episode's active measurement schedules."""
    query = (
        select(s.c.episode_id, func.min(MeasurementSchedule.next_due_at))
        .join(s, s.c.episode_id == MeasurementSchedule.episode_id)
        .where(MeasurementSchedule.active.is_(True))
        .group_by(s.c.episode_id)
    )
    return {key: value for key, value in _rows(session, query)}


def minutes(session: Session, s: CTE, month_start: date, month_end: date) -> dict[int, Row]:
    """Per scope episode: countable minutes in [month_start, month_end) (``month_minutes``) and
    whether the episode had countable minutes before the month (``served_before``: then this
    is a later month, not the initial one).

    Counting follows ``cocm.billing`` (its rules module says whose minutes count): live entries
    by a care manager or a treating clinician, not a psychiatric consultation, on or after the
    consent date; entries of one contact count once, at the longest. Only the month's entries
    are read; the earlier months are asked through the billing month's own indexed EXISTS
    (``served_before``), which stops at the first entry found, so years of history cost
    nothing. The billing month stays the authority; a test keeps the two in step.
    """
    day = TimeEntry.performed_on
    entries = (
        select(s.c.episode_id, TimeEntry.id, TimeEntry.contact_id, TimeEntry.minutes)
        .join(s, s.c.patient_id == TimeEntry.patient_id)
        .where(
            TimeEntry.superseded_by_id.is_(None),
            TimeEntry.minutes > 0,
            TimeEntry.role.in_(COUNTED_ROLES),
            TimeEntry.activity.not_in(UNCOUNTED_ACTIVITIES),
            day >= month_start,
            day < month_end,
            or_(s.c.consent_on.is_(None), day >= s.c.consent_on),
            or_(
                TimeEntry.episode_id == s.c.episode_id,
                and_(
                    TimeEntry.episode_id.is_(None),
                    day >= s.c.started_on,
                    or_(s.c.ended_on.is_(None), day <= s.c.ended_on),
                ),
            ),
        )
        .subquery("entries")
    )
    once = case((entries.c.contact_id.is_(None), entries.c.id), else_=None)
    per_contact = (
        select(entries.c.episode_id, func.max(entries.c.minutes).label("minutes"))
        .group_by(entries.c.episode_id, entries.c.contact_id, once)
        .subquery("per_contact")
    )
    month = (
        select(per_contact.c.episode_id, func.sum(per_contact.c.minutes).label("minutes"))
        .group_by(per_contact.c.episode_id)
        .subquery("month_minutes")
    )
    query = (
        select(
            s.c.episode_id,
            func.coalesce(month.c.minutes, literal(0)).label("month_minutes"),
            served_before(month_start).label("served_before"),
        )
        # The billing lookup is written against ``Episode``: the scope's own row.
        .join(Episode, Episode.id == s.c.episode_id)
        .outerjoin(month, month.c.episode_id == s.c.episode_id)
    )
    return {row.episode_id: row for row in _rows(session, query)}


__all__ = [
    "SCORED",
    "belongs",
    "contact_summary",
    "episodes",
    "first_last_scores",
    "last_reviews",
    "last_risk_answers",
    "measures_due",
    "minutes",
    "owned",
    "queue_state",
    "scope",
    "scores",
    "unanswered_streaks",
]
