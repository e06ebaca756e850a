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
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.billing import queries
from cocm.billing.export import billing_csv
from cocm.billing.rules import RuleSet, rule_set_for
from cocm.clock import utcnow
from cocm.models import Clinic
from cocm.models.enums import OPEN_EPISODE_STATUSES

__all__ = ["BillingRow", "add_months", "billing_csv", "billing_month", "month_bounds"]


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
    ``rules`` defaults to the rule set in effect on the month's first day. Five statements,
    whatever the number of patients. Reads only: the caller records the audit event.
    """
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
    counted = queries.counted_minutes(session, clinic_id, start, end)
    other = queries.other_minutes(session, clinic_id, start, end)
    earlier = queries.earlier_services(session, clinic_id, start)

    earlier_in_episode = {row.episode_id for row in earlier}
    recent_cocm: dict[int, list[tuple[date, int]]] = defaultdict(list)
    six_months_before = add_months(start, -6)
    for row in earlier:
        if row.program == "cocm" and row.last_on >= six_months_before:
            recent_cocm[row.patient_id].append((row.last_on, row.episode_id))

    slug, label, month_open = clinic.slug, f"{year:04d}-{month:02d}", today < end
    rows: list[BillingRow] = []
    started: dict[int, date] = {}
    for ep in episodes:
        minutes = counted.get(ep.id, 0)
        consultant, before_consent = other.get(ep.id, (0, 0))
        kind, note = _month_kind(ep, earlier_in_episode, recent_cocm)
        initial = kind == "initial"
        missing = _missing_evidence(ep, start, end)
        upcoming = rules.next_threshold(ep.program, minutes, initial)
        rows.append(
            BillingRow(
                clinic_slug=slug,
                month=label,
                patient_id=ep.patient_id,
                patient_name=f"{ep.first_name} {ep.last_name}",
                mrn=ep.mrn,
                care_manager_id=ep.care_manager_id,
                care_manager=ep.care_manager,
                episode_id=ep.id,
                program=ep.program,
                status=ep.status,
                month_kind=kind,
                minutes=minutes,
                consultant_minutes=consultant,
                minutes_before_consent=before_consent,
                codes=[] if missing else rules.codes(ep.program, minutes, initial),
                missing=missing,
                next_code=upcoming.code if upcoming else None,
                minutes_to_next=upcoming.minutes_needed if upcoming else None,
                notes=[note] if note else [],
                month_open=month_open,
            )
        )
        started[ep.id] = ep.started_on
    _one_family_per_patient(rows, started)
    return rows


def _month_kind(ep, earlier_in_episode: set[int], recent_cocm) -> tuple[str, str | None]:
    if ep.id in earlier_in_episode:
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


def _one_family_per_patient(rows: list[BillingRow], started: dict[int, date]) -> None:
    """Leave codes on one row per patient: the one with most minutes (then the latest)."""
    coded: dict[int, list[BillingRow]] = defaultdict(list)
    for row in rows:
        if row.codes:
            coded[row.patient_id].append(row)
    for same_patient in coded.values():
        if len(same_patient) < 2:
            continue
        keep = max(same_patient, key=lambda r: (r.minutes, started[r.episode_id], r.episode_id))
        for row in same_patient:
            if row is not keep:
                row.codes = []
                row.missing.append(
                    f"billed under episode {keep.episode_id} this month "
                    "(one code family per patient per month)"
                )
