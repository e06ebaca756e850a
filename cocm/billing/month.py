"""The billing month: minutes, codes and the evidence behind them, per episode (DESIGN 7).

``billing_month`` is a view over time entries, episodes and care plans, computed with a fixed
number of set-based statements. Decisions written down here because an auditor will ask:

- Dates are the clinic's local dates: ``TimeEntry.performed_on`` is already local, and "a care
  plan by month end" means created before local midnight at the start of the next month.
- Minutes count when logged by a care manager or a treating clinician (not for a psychiatric
  consultation), not superseded, dated in the month and on or after the episode's consent
  date. Consultant minutes are totalled and shown but never counted.
- Counted once: entries linked to the same contact count once, at the longest of their minutes
  (two staff on one call is one call). Entries without a contact each count in full.
- Initial month: the first calendar month of the episode with countable minutes. The episode
  is the unit, so a new episode gets its own initial month, except that a CoCM episode whose
  patient had countable CoCM minutes under another episode in the six calendar months before
  this one bills later-month codes (DESIGN 4: a new episode starts after six months without
  CoCM services).
- One code family per patient per month: if two episodes of one patient both earn codes in the
  month, the one with more minutes is billed and the other row says why it is not.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.billing import queries
from cocm.billing.export import billing_csv
from cocm.billing.rules import NextThreshold, RuleSet, rule_set_for
from cocm.clock import utcnow
from cocm.models import Clinic
from cocm.models.enums import OPEN_EPISODE_STATUSES

__all__ = [
    "BillingRow",
    "Decision",
    "MonthFacts",
    "add_months",
    "billing_csv",
    "billing_month",
    "billing_row",
    "decide",
    "month_bounds",
    "month_facts",
]


@dataclass
class BillingRow:
    """One episode's line in a billing month. ``codes`` is empty when ``missing`` says why."""

    clinic_slug: str
    month: str
    patient_id: int
    patient_name: str
    mrn: str
    care_manager_id: int | None
    care_manager: str | None
    episode_id: int
    program: str
    status: str
    month_kind: str
    minutes: int
    consultant_minutes: int
    minutes_before_consent: int
    codes: list[tuple[str, int]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    next_code: str | None = None
    minutes_to_next: int | None = None
    notes: list[str] = field(default_factory=list)
    month_open: bool = False

    @property
    def billable(self) -> bool:
        return bool(self.codes)


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole calendar months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    last = (date(year + (month == 12), month % 12 + 1, 1) - date(year, month, 1)).days
    return date(year, month, min(day.day, last))


def month_bounds(year: int, month: int) -> tuple[date, date]:
    """The first day of the month and the first day of the next (an exclusive end)."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1-12, got {month}")
    start = date(year, month, 1)
    return start, add_months(start, 1)


@dataclass(frozen=True)
class MonthFacts:
    """Everything a billing month is worked out from, read with a fixed number of statements:
    the episodes with their minutes (in name order) and the six-month rule's CoCM history."""

    slug: str
    label: str
    start: date
    end: date
    month_open: bool
    rules: RuleSet
    episodes: list[queries.EpisodeFacts]
    recent_cocm: dict[int, list[tuple[date, int]]]


class Decision(NamedTuple):
    """One episode's month before it becomes a ``BillingRow``: cheap to make for every episode
    of a large clinic, so totals need no row objects. ``codes`` are those earned when the
    evidence is complete, before the one-family rule; ``billed_instead`` names the episode
    billed in this one's place under that rule (None when it is not displaced)."""

    ep: queries.EpisodeFacts
    kind: str
    note: str | None
    complete: bool
    codes: tuple[tuple[str, int], ...]
    upcoming: NextThreshold | None
    billed_instead: int | None

    @property
    def billed(self) -> tuple[tuple[str, int], ...]:
        """The codes this row bills, after the evidence checks and the one-family rule."""
        return self.codes if self.complete and self.billed_instead is None else ()

    @property
    def blocked(self) -> bool:
        """The row shows missing evidence (the one-family rule counts as missing)."""
        return not self.complete or self.billed_instead is not None


def month_facts(
    session: Session,
    clinic_id: int,
    year: int,
    month: int,
    today: date | None = None,
    *,
    rules: RuleSet | None = None,
) -> MonthFacts:
    """Read what the month needs: the clinic, its episodes with minutes, the CoCM history of
    patients with more than one episode. Three statements (four on PostgreSQL), whatever the
    number of patients or the length of the history. Raises ValueError for an unknown clinic
    or month, or a month no rule set covers."""
    start, end = month_bounds(year, month)
    clinic = session.execute(
        select(Clinic.slug, Clinic.timezone).where(Clinic.id == clinic_id)
    ).one_or_none()
    if clinic is None:
        raise ValueError(f"unknown clinic id {clinic_id}")
    zone = ZoneInfo(clinic.timezone)
    today = today or utcnow().astimezone(zone).date()
    rules = rules or rule_set_for(start)
    plan_cutoff = datetime.combine(end, time(0), tzinfo=zone).astimezone(UTC)

    episodes = queries.month_episodes(session, clinic_id, start, end, plan_cutoff)
    recent_cocm: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for row in queries.recent_cocm(session, clinic_id, add_months(start, -6), start):
        recent_cocm[row.patient_id].append((row.last_on, row.episode_id))
    return MonthFacts(
        slug=clinic.slug,
        label=f"{year:04d}-{month:02d}",
        start=start,
        end=end,
        month_open=today < end,
        rules=rules,
        episodes=episodes,
        recent_cocm=recent_cocm,
    )


def decide(facts: MonthFacts) -> list[Decision]:
    """Month kind, evidence and codes for every episode, then the one-family rule.

    Codes and the next threshold depend only on (program, minutes, month kind), so each
    combination is worked out once; the evidence is a plain boolean here, and its wording
    (``_missing_evidence``) is written only for the rows that are shown.
    """
    rules, start, month_end = facts.rules, facts.start, facts.end - timedelta(days=1)
    earned: dict[tuple[str, int, bool], tuple] = {}
    decided: list[Decision] = []
    coded: dict[int, list[Decision]] = defaultdict(list)
    for ep in facts.episodes:
        # Most episodes were served before: skip the six-month rule's lookup for them.
        kind, note = ("later", None) if ep.served_before else _month_kind(ep, facts.recent_cocm)
        key = (ep.program, ep.minutes, kind == "initial")
        found = earned.get(key)
        if found is None:
            found = earned[key] = (tuple(rules.codes(*key)), rules.next_threshold(*key))
        complete = _evidence_complete(ep, start, month_end)
        decision = Decision(ep, kind, note, complete, found[0], found[1], None)
        decided.append(decision)
        if complete and found[0]:
            coded[ep.patient_id].append(decision)
    displaced = _one_family_per_patient(coded)
    if displaced:
        decided = [
            d._replace(billed_instead=displaced[d.ep.id]) if d.ep.id in displaced else d
            for d in decided
        ]
    return decided


def billing_row(facts: MonthFacts, decision: Decision) -> BillingRow:
    """The ``BillingRow`` of one decided episode, with the missing evidence in plain words."""
    ep, upcoming = decision.ep, decision.upcoming
    missing = [] if decision.complete else _missing_evidence(ep, facts.start, facts.end)
    if decision.billed_instead is not None:
        missing.append(
            f"billed under episode {decision.billed_instead} this month "
            "(one code family per patient per month)"
        )
    return BillingRow(
        clinic_slug=facts.slug,
        month=facts.label,
        patient_id=ep.patient_id,
        patient_name=f"{ep.first_name} {ep.last_name}",
        mrn=ep.mrn,
        care_manager_id=ep.care_manager_id,
        care_manager=ep.care_manager,
        episode_id=ep.id,
        program=ep.program,
        status=ep.status,
        month_kind=decision.kind,
        minutes=ep.minutes,
        consultant_minutes=ep.consultant_minutes,
        minutes_before_consent=ep.minutes_before_consent,
        codes=list(decision.billed),
        missing=missing,
        next_code=upcoming.code if upcoming else None,
        minutes_to_next=upcoming.minutes_needed if upcoming else None,
        notes=[decision.note] if decision.note else [],
        month_open=facts.month_open,
    )


def billing_month(
    session: Session,
    clinic_id: int,
    year: int,
    month: int,
    today: date | None = None,
    *,
    rules: RuleSet | None = None,
) -> list[BillingRow]:
    """Every episode of the clinic active in (or with time logged in) the month, with its
    countable minutes, month kind, codes or missing evidence, and distance to the next code.

    ``today`` (the clinic's local date; default from the clock) marks a month still open.
    ``rules`` defaults to the rule set in effect on the month's first day. Three statements
    (four on PostgreSQL), whatever the number of patients. Reads only: the caller records the
    audit event.
    """
    facts = month_facts(session, clinic_id, year, month, today, rules=rules)
    return [billing_row(facts, decision) for decision in decide(facts)]


def _month_kind(ep, recent_cocm) -> tuple[str, str | None]:
    if ep.served_before:
        return "later", None
    if ep.program == "cocm":
        others = [item for item in recent_cocm.get(ep.patient_id, ()) if item[1] != ep.id]
        if others:
            last_on, other_id = max(others)
            return "later", (
                f"later month: CoCM minutes under episode {other_id} on {last_on.isoformat()}, "
                "within six months"
            )
    return "initial", None


def _evidence_complete(ep, start: date, month_end: date) -> bool:
    """True exactly when ``_missing_evidence`` finds nothing (tests hold the two together);
    a boolean, so a month of 20,000 episodes words only the rows that are shown."""
    consent, visit, began = ep.consent_on, ep.initiating_visit_on, ep.started_on
    return (
        ep.has_plan
        and consent is not None
        and consent <= month_end
        and visit is not None
        and visit <= began
        and visit >= _year_before(began)
        and began <= month_end
        and (ep.status in OPEN_EPISODE_STATUSES if ep.ended_on is None else ep.ended_on >= start)
    )


@lru_cache(maxsize=4096)
def _year_before(day: date) -> date:
    return add_months(day, -12)


def _missing_evidence(ep, start: date, end: date) -> list[str]:
    """What an auditor would find missing for this month, in plain words (empty when none)."""
    month_end = end - timedelta(days=1)
    missing = []
    if ep.consent_on is None:
        missing.append("consent not documented")
    elif ep.consent_on > month_end:
        missing.append(f"consent dated {ep.consent_on.isoformat()}, after this month")
    visit, began = ep.initiating_visit_on, ep.started_on
    if visit is None:
        missing.append("no initiating visit on record")
    elif visit > began:
        missing.append(
            f"initiating visit {visit.isoformat()} is after the episode started "
            f"({began.isoformat()})"
        )
    elif visit < add_months(began, -12):
        missing.append(
            f"initiating visit {visit.isoformat()} is more than 12 months before the episode "
            f"started ({began.isoformat()})"
        )
    if not ep.has_plan:
        missing.append("no care plan on record by the end of the month")
    if ep.started_on > month_end:
        missing.append(f"episode started {ep.started_on.isoformat()}, after this month")
    elif ep.ended_on is not None and ep.ended_on < start:
        missing.append(f"episode ended {ep.ended_on.isoformat()}, before this month")
    elif ep.ended_on is None and ep.status not in OPEN_EPISODE_STATUSES:
        missing.append(f"episode is {ep.status.replace('_', ' ')} with no end date on record")
    return missing


def _one_family_per_patient(coded: dict[int, list[Decision]]) -> dict[int, int]:
    """Leave codes on one row per patient: the one with most minutes (then the latest).
    Returns the displaced episodes, each with the episode billed instead."""
    displaced: dict[int, int] = {}
    for same_patient in coded.values():
        if len(same_patient) < 2:
            continue
        keep = max(same_patient, key=lambda d: (d.ep.minutes, d.ep.started_on, d.ep.id))
        for decision in same_patient:
            if decision is not keep:
                displaced[decision.ep.id] = keep.ep.id
    return displaced
