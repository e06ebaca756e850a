"""The billing month as the staff page shows it: rows with minutes, evidence checks, totals.

A thin layer over ``cocm.billing`` (the authority on minutes and codes, through the same
``month_facts`` and ``decide`` that ``billing_month`` uses): it picks the rows a clinic lead
works through, sorts each row's missing evidence into the four checks of DESIGN 7 (consent,
initiating visit, care plan, episode active) plus the one-family rule, totals the units per
code over the whole month, and builds only the rows of the page asked for. No statement of its
own beyond those of the billing month.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from cocm.billing import BillingRow
from cocm.billing.export import CODE_COLUMNS
from cocm.billing.month import Decision, add_months, billing_row, decide, month_facts

# (key, heading) in the order the page shows them.
CHECKS = (
    ("consent", "Consent"),
    ("visit", "Initiating visit"),
    ("plan", "Care plan"),
    ("active", "Active in month"),
    ("family", "One code family"),
)
# How billing words each missing piece of evidence (cocm.billing.month._missing_evidence and
# _one_family_per_patient); anything unrecognised still shows, under "other".
_PREFIXES = (
    ("consent", ("consent ",)),
    ("visit", ("no initiating visit", "initiating visit ")),
    ("plan", ("no care plan",)),
    ("active", ("episode ",)),
    ("family", ("billed under episode",)),
)


def check_of(message: str) -> str:
    """Which evidence check a billing 'missing' message belongs to."""
    for key, prefixes in _PREFIXES:
        if message.startswith(prefixes):
            return key
    return "other"


@dataclass
class ReportRow:
    """A billing row with its failed checks: ``failed[check]`` lists the messages."""

    row: BillingRow
    failed: dict[str, list[str]] = field(default_factory=dict)

    def passed(self, check: str) -> bool:
        return check not in self.failed

    @property
    def other(self) -> list[str]:
        return self.failed.get("other", [])


SHOW = ("all", "billable", "missing", "under")  # the page's filter: every row, or one kind
PER_PAGE = 100
QUIET_LIMIT = 200  # quiet episodes named on the page; the count is always the whole month


@dataclass
class MonthReport:
    """One page of the month's rows (all of them when ``per_page`` is None) with the whole
    month's figures: ``shown`` rows with minutes, ``billable``, ``blocked``, ``minutes``,
    ``totals`` per code, and the quiet episodes (active, no minutes)."""

    clinic_id: int
    year: int
    month: int
    rows: list[ReportRow]
    quiet: list[BillingRow]
    totals: dict[str, int]
    month_open: bool
    shown: int = 0
    billable: int = 0
    blocked: int = 0
    minutes: int = 0
    quiet_count: int = 0
    show: str = "all"
    matching: int = 0
    page: int = 1
    per_page: int | None = None

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def pages(self) -> int:
        if not self.per_page:
            return 1
        return max(1, -(-self.matching // self.per_page))

    @property
    def first(self) -> int:
        """The position (from 1) of the page's first row among the matching rows."""
        return (self.page - 1) * (self.per_page or 0) + 1

    @property
    def patient_ids(self) -> list[int]:
        return sorted({r.row.patient_id for r in self.rows})

    @property
    def billing_rows(self) -> list[BillingRow]:
        return [r.row for r in self.rows]


def has_minutes(row: BillingRow) -> bool:
    """Rows a lead works through: countable minutes, or minutes waiting on the consent date."""
    return row.minutes > 0 or row.minutes_before_consent > 0


def _kind(decision: Decision) -> str:
    if decision.blocked:
        return "missing"
    return "billable" if decision.billed else "under"


def month_report(
    session: Session,
    clinic_id: int,
    year: int,
    month: int,
    today: date,
    *,
    show: str = "all",
    page: int = 1,
    per_page: int | None = None,
) -> MonthReport:
    """The billing month of one clinic: a row per episode with minutes (in practice one per
    patient), the active episodes with none (``quiet``), and the units per code.

    The month's figures always cover every row; ``show`` (one of ``SHOW``) keeps the rows of
    one kind, and ``per_page`` cuts them into pages (``page`` from 1, clamped to the last), so
    only the rows on the page are worded and built: the totals come from cheap per-episode
    decisions (``cocm.billing.month.decide``), the same ones every row is built from.
    ``today`` is the clinic's local date (it tells whether the month is still open). Raises
    ValueError for an unknown clinic, month or ``show``.
    """
    if show not in SHOW:
        raise ValueError(f"unknown filter {show!r}: expected one of {', '.join(SHOW)}")
    facts = month_facts(session, clinic_id, year, month, today)
    decisions = decide(facts)
    with_minutes, quiet = [], []
    totals: Counter[str] = Counter()
    billable = blocked = minutes = 0
    for decision in decisions:
        ep = decision.ep
        if ep.minutes <= 0 and ep.minutes_before_consent <= 0:
            quiet.append(decision)
            continue
        with_minutes.append(decision)
        minutes += ep.minutes
        if decision.blocked:
            blocked += 1
        elif decision.billed:
            billable += 1
            for code, units in decision.billed:
                totals[code] += units
    matching = with_minutes if show == "all" else [d for d in with_minutes if _kind(d) == show]
    page = max(1, page)
    if per_page:
        page = min(page, max(1, -(-len(matching) // per_page)))
        on_page = matching[(page - 1) * per_page : page * per_page]
    else:
        on_page = matching
    ordered = {code: totals[code] for code in CODE_COLUMNS if totals.get(code)}
    ordered.update({c: n for c, n in totals.items() if c not in ordered})
    return MonthReport(
        clinic_id=clinic_id,
        year=year,
        month=month,
        rows=[_report_row(billing_row(facts, d)) for d in on_page],
        quiet=[billing_row(facts, d) for d in quiet[:QUIET_LIMIT]],
        totals=ordered,
        month_open=today < add_months(date(year, month, 1), 1),
        shown=len(with_minutes),
        billable=billable,
        blocked=blocked,
        minutes=minutes,
        quiet_count=len(quiet),
        show=show,
        matching=len(matching),
        page=page,
        per_page=per_page,
    )


def _report_row(row: BillingRow) -> ReportRow:
    failed: dict[str, list[str]] = {}
    for message in row.missing:
        failed.setdefault(check_of(message), []).append(message)
    return ReportRow(row=row, failed=failed)
