"""The registry: one row per episode of a caseload, computed from the record (DESIGN 4).

``registry_rows`` answers, at a glance, who is at risk, who is not improving, who is overdue,
who needs case review and what happens next for each. Rows are built from a fixed number of
set-based statements (``cocm.registry.queries``), never one per row, and the flags are decided
in ``cocm.registry.flags``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row
from sqlalchemy.orm import Session

from cocm import instruments
from cocm.billing.month import add_months
from cocm.billing.rules import BHI_CODE, rule_set_for
from cocm.instruments.outcomes import percent_change
from cocm.models.enums import EPISODE_STATUSES, OPEN_EPISODE_STATUSES
from cocm.registry import queries
from cocm.registry.flags import (
    CASE_REVIEW_FLAGS,
    FLAGS,
    OVERDUE_FLAGS,
    Facts,
    ScorePoint,
    compute_flags,
    suggested_action,
)
from cocm.review.overdue import overdue_flags

# Chip filters beyond the single flags: "needs case review" is any of its flags.
GROUP_FILTERS = {"case_review": ("Needs case review", CASE_REVIEW_FLAGS)}


@dataclass(frozen=True)
class RegistryFilters:
    """What the registry is asked for. ``clinic_id`` narrows the allowed clinics, never widens."""

    care_manager_id: int | None = None
    statuses: tuple[str, ...] = OPEN_EPISODE_STATUSES
    flag: str | None = None
    clinic_id: int | None = None
    patient_id: int | None = None
    sort: str = "priority"
    descending: bool = False

    def __post_init__(self) -> None:
        unknown = [s for s in self.statuses if s not in EPISODE_STATUSES]
        if unknown:
            raise ValueError(f"unknown episode status {unknown[0]!r}")
        if self.flag is not None and self.flag not in FLAGS and self.flag not in GROUP_FILTERS:
            raise ValueError(f"unknown registry flag {self.flag!r}")
        if self.sort not in SORTS:
            raise ValueError(f"unknown registry sort {self.sort!r}")


@dataclass(frozen=True)
class Score:
    """Baseline and last complete total of one instrument in the episode."""

    baseline: int | None = None
    baseline_on: date | None = None
    last: int | None = None
    last_on: date | None = None
    severity: str | None = None

    @property
    def change(self) -> float | None:
        """Percent change from baseline; negative is better."""
        return percent_change(self.baseline, self.last)


@dataclass
class RegistryRow:
    episode_id: int
    patient_id: int
    clinic_id: int
    clinic_name: str
    first_name: str
    last_name: str
    mrn: str
    care_manager_id: int | None
    care_manager: str | None
    status: str
    program: str
    enrolled_on: date
    weeks_in_treatment: int
    phq9: Score
    gad7: Score
    last_contact_on: date | None
    last_contact_outcome: str | None
    next_contact_on: date | None
    next_contact_confirmed: bool
    reschedule_requested: bool
    next_action: str | None
    next_action_suggested: bool
    next_measure_on: date | None
    minutes_month: int
    month_kind: str
    threshold_minutes: int
    threshold_code: str
    next_code: str | None
    minutes_to_next: int | None
    flags: dict[str, str] = field(default_factory=dict)

    @property
    def patient_name(self) -> str:
        return f"{self.last_name}, {self.first_name}"

    @property
    def threshold_percent(self) -> int:
        return min(100, round(100 * self.minutes_month / self.threshold_minutes))


@dataclass
class Registry:
    """The rows asked for (a window of them when paged), with per-flag counts and the total over
    the rows before the flag filter (the chips), and how many rows matched the filter."""

    rows: list[RegistryRow]
    counts: dict[str, int]
    total: int
    matching: int | None = None  # rows after the flag filter, before any window; None: len(rows)
    offset: int = 0  # where ``rows`` starts among the matching rows

    def __post_init__(self) -> None:
        if self.matching is None:
            self.matching = len(self.rows)


SORTS: dict[str, Callable[[RegistryRow], object]] = {
    "priority": lambda r: (
        "risk" not in r.flags,
        "not_improving" not in r.flags,
        r.flags.keys().isdisjoint(OVERDUE_FLAGS),
        r.last_name.lower(),
        r.first_name.lower(),
    ),
    "patient": lambda r: (r.last_name.lower(), r.first_name.lower()),
    "mrn": lambda r: r.mrn,
    "care_manager": lambda r: (r.care_manager or "").lower() or None,
    "status": lambda r: EPISODE_STATUSES.index(r.status),
    "enrolled": lambda r: r.enrolled_on,
    "weeks": lambda r: r.weeks_in_treatment,
    "phq9_baseline": lambda r: r.phq9.baseline,
    "phq9_last": lambda r: r.phq9.last,
    "phq9_change": lambda r: r.phq9.change,
    "gad7_baseline": lambda r: r.gad7.baseline,
    "gad7_last": lambda r: r.gad7.last,
    "gad7_change": lambda r: r.gad7.change,
    "last_contact": lambda r: r.last_contact_on,
    "next_contact": lambda r: r.next_contact_on,
    "next_action": lambda r: (r.next_action or "").lower() or None,
    "minutes": lambda r: r.minutes_month,
    "flags": lambda r: len(r.flags),
}


def sort_rows(rows: list[RegistryRow], sort: str, descending: bool = False) -> list[RegistryRow]:
    """Rows ordered by one column; rows without a value go last in either direction."""
    key, name = SORTS[sort], SORTS["patient"]
    # Each key computed once: a clinic lead's registry sorts 20,000 rows.
    keyed = [(key(r), name(r), r) for r in rows]
    with_value = [k for k in keyed if k[0] is not None]
    without = [k for k in keyed if k[0] is None]
    without.sort(key=lambda k: k[1])
    with_value.sort(key=lambda k: k[1])
    with_value.sort(key=lambda k: k[0], reverse=descending and sort != "priority")
    return [k[2] for k in with_value] + [k[2] for k in without]


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _local(moment: datetime | None, zone: ZoneInfo) -> date | None:
    return moment.astimezone(zone).date() if moment is not None else None


def _score(code: str, pair, zone: ZoneInfo) -> tuple[Score, tuple]:
    first, latest = pair if pair else (None, None)
    if first is None or latest is None:
        return Score(), (None, None)
    score = Score(
        baseline=first.total,
        baseline_on=_local(first.completed_at, zone),
        last=latest.total,
        last_on=_local(latest.completed_at, zone),
        severity=instruments.get(code).severity_for(latest.total),
    )
    points = (
        ScorePoint(score.baseline, score.baseline_on),
        ScorePoint(score.last, score.last_on),
    )
    return score, points


# Sorts decided by the flags and the name alone: every episode's flags are computed anyway (the
# chips count them), so the full rows are built only for the window asked for.
_LIGHT_SORTS = ("priority", "patient")


@dataclass
class _Draft:
    """One episode with its flags: enough to count, filter and order by a light sort."""

    ep: Row
    zone: ZoneInfo
    facts: Facts
    flags: dict[str, str]
    first_name: str
    last_name: str


def _points(pair, zone: ZoneInfo) -> tuple:
    """The baseline and last score as the flags need them (local dates)."""
    first, latest = pair if pair else (None, None)
    if first is None or latest is None:
        return (None, None)
    return (
        ScorePoint(first.total, _local(first.completed_at, zone)),
        ScorePoint(latest.total, _local(latest.completed_at, zone)),
    )


def registry(
    session: Session,
    clinic_ids: Collection[int],
    filters: RegistryFilters | None,
    today: date,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> Registry:
    """The registry for ``clinic_ids`` as seen on ``today`` (the viewer's local date).

    ``offset`` and ``limit`` ask for a window of the sorted, filtered rows (a page; an offset
    past the end gives the last one); the counts, ``total`` and ``matching`` cover every row.
    Eleven statements whatever the number of episodes. Every episode's flags are decided (the
    chips count them); full rows are built for the window only, unless the sort needs them
    all. Reads only; the caller audits.
    """
    filters = filters or RegistryFilters()
    allowed = set(clinic_ids)
    if filters.clinic_id is not None:
        allowed &= {filters.clinic_id}
    if not allowed or not filters.statuses:
        return Registry(rows=[], counts=dict.fromkeys([*FLAGS, *GROUP_FILTERS], 0), total=0)
    s = queries.scope(
        allowed,
        filters.statuses,
        care_manager_id=filters.care_manager_id,
        patient_id=filters.patient_id,
    )
    month_start = today.replace(day=1)
    month_end = add_months(month_start, 1)

    session.flush()  # the statements run on the connection, without the session's autoflush
    base = queries.episodes(session, s)
    found = _Found(
        scores=queries.scores(session, s),
        risk_answers=queries.last_risk_answers(session, s),
        queue=queries.queue_state(session, s),
        contacts=queries.contact_summary(session, s),
        streaks=queries.unanswered_streaks(session, s),
        reviews=queries.last_reviews(session, s),
        due=queries.measures_due(session, s),
        minutes=queries.minutes(session, s, month_start, month_end),
        rec_overdue=overdue_flags(session, s, today),  # case review's open recommendations
        rules=rule_set_for(month_start),
        month_start=month_start,
        today=today,
    )
    drafts = [_draft(ep, found) for ep in base]
    counts, total = flag_counts(drafts), len(drafts)
    if filters.flag:
        drafts = [d for d in drafts if matches(d, filters.flag)]
    if limit is not None and offset >= len(drafts):
        offset = max(0, (len(drafts) - 1) // limit * limit)  # past the end: the last page
    end = None if limit is None else offset + limit
    if filters.sort in _LIGHT_SORTS:
        window = sort_rows(drafts, filters.sort, filters.descending)[offset:end]
        rows = [_row(d, found) for d in window]
    else:
        rows = [_row(d, found) for d in drafts]
        rows = sort_rows(rows, filters.sort, filters.descending)[offset:end]
    return Registry(rows=rows, counts=counts, total=total, matching=len(drafts), offset=offset)


@dataclass
class _Found:
    """What the statements found, per episode id, and the month they were asked about."""

    scores: dict
    risk_answers: dict
    queue: dict
    contacts: dict
    streaks: dict
    reviews: dict
    due: dict
    minutes: dict
    rec_overdue: dict
    rules: Any
    month_start: date
    today: date


def _draft(ep: Row, found: _Found) -> _Draft:
    """An episode's facts and flags."""
    zone = _zone(ep.timezone or ep.clinic_timezone)
    ep_scores = found.scores.get(ep.episode_id, {})
    q = found.queue.get(ep.episode_id)
    risk_moments = [
        m for m in (found.risk_answers.get(ep.episode_id), q.last_risk_item_at if q else None) if m
    ]
    c = found.contacts.get(ep.episode_id)
    facts = Facts(
        enrolled_on=ep.started_on,
        phq9=_points(ep_scores.get("PHQ-9"), zone),
        gad7=_points(ep_scores.get("GAD-7"), zone),
        open_urgent=int(q.open_urgent or 0) if q else 0,
        last_risk_on=_local(max(risk_moments), zone) if risk_moments else None,
        initial_assessment_on=_local(c.initial_at, zone) if c else None,
        first_follow_up_on=_local(c.first_follow_up_at, zone) if c else None,
        last_contact_on=_local(c.last_at, zone) if c else None,
        next_contact_on=_local(c.next_contact_at, zone) if c else None,
        measure_due_on=_local(found.due.get(ep.episode_id), zone),
        last_review_on=_local(found.reviews.get(ep.episode_id), zone),
        opted_out=ep.sms_opted_out,
        phone_problem=ep.phone_problem,
        unanswered_streak=found.streaks.get(ep.episode_id, 0),
    )
    flags = compute_flags(facts, found.today)
    if ep.episode_id in found.rec_overdue:
        flags["recommendation_overdue"] = found.rec_overdue[ep.episode_id]
    return _Draft(ep, zone, facts, flags, ep.first_name, ep.last_name)


def _row(draft: _Draft, found: _Found) -> RegistryRow:
    """The full registry row of a drafted episode."""
    ep, zone, facts, flags = draft.ep, draft.zone, draft.facts, draft.flags
    today, rules = found.today, found.rules
    ep_scores = found.scores.get(ep.episode_id, {})
    phq9, _ = _score("PHQ-9", ep_scores.get("PHQ-9"), zone)
    gad7, _ = _score("GAD-7", ep_scores.get("GAD-7"), zone)
    c = found.contacts.get(ep.episode_id)
    written = (c.last_next_action or c.plan_next_action) if c else None
    m = found.minutes.get(ep.episode_id)
    month_minutes = int(m.month_minutes or 0) if m else 0
    initial = m is None or not m.served_before
    if ep.program == "bhi":
        threshold, code = rules.bhi_min_minutes, BHI_CODE
    else:
        t = rules.thresholds(initial)
        threshold, code = t.base_from, t.base_code
    upcoming = rules.next_threshold(ep.program, month_minutes, initial)
    return RegistryRow(
        episode_id=ep.episode_id,
        patient_id=ep.patient_id,
        clinic_id=ep.clinic_id,
        clinic_name=ep.clinic_name,
        first_name=ep.first_name,
        last_name=ep.last_name,
        mrn=ep.mrn,
        care_manager_id=ep.care_manager_id,
        care_manager=ep.care_manager,
        status=ep.status,
        program=ep.program,
        enrolled_on=ep.started_on,
        weeks_in_treatment=max(0, (today - ep.started_on).days // 7),
        phq9=phq9,
        gad7=gad7,
        last_contact_on=facts.last_contact_on,
        last_contact_outcome=c.last_outcome if c else None,
        next_contact_on=facts.next_contact_on,
        next_contact_confirmed=bool(c and c.next_contact_confirmed_at),
        reschedule_requested=bool(c and c.reschedule_requested_at),
        next_action=written or suggested_action(flags),
        next_action_suggested=not written and bool(flags),
        next_measure_on=facts.measure_due_on,
        minutes_month=month_minutes,
        month_kind="initial" if initial else "later",
        threshold_minutes=threshold,
        threshold_code=code,
        next_code=upcoming.code if upcoming else None,
        minutes_to_next=upcoming.minutes_needed if upcoming else None,
        flags=flags,
    )


def matches(row: RegistryRow | _Draft, flag: str) -> bool:
    """Whether a row is shown under a flag chip (a single flag or a group such as case review)."""
    if flag in GROUP_FILTERS:
        return any(f in row.flags for f in GROUP_FILTERS[flag][1])
    return flag in row.flags


def flag_counts(rows: Sequence[RegistryRow | _Draft]) -> dict[str, int]:
    """How many rows carry each flag (and each group), zero included, in chip order."""
    counted = Counter(f for r in rows for f in r.flags)
    counts = {name: counted.get(name, 0) for name in FLAGS}
    for group in GROUP_FILTERS:
        counts[group] = sum(1 for r in rows if matches(r, group))
    return counts


def registry_rows(
    session: Session,
    clinic_ids: Collection[int],
    filters: RegistryFilters | None,
    today: date,
) -> list[RegistryRow]:
    """The registry rows for ``clinic_ids`` on ``today``, filtered and sorted (see ``registry``)."""
    return registry(session, clinic_ids, filters, today).rows
