"""The billing month as the staff page shows it: rows with minutes, evidence checks, totals.

A thin layer over ``cocm.billing.billing_month`` (the authority on minutes and codes): it picks
the rows a clinic lead works through, sorts each row's missing evidence into the four checks of
DESIGN 7 (consent, initiating visit, care plan, episode active) plus the one-family rule, and
totals the units per code. No statement of its own beyond those of ``billing_month``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from cocm.billing import BillingRow, billing_month
from cocm.billing.export import CODE_COLUMNS
from cocm.billing.month import add_months

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


@dataclass
class MonthReport:
    clinic_id: int
    year: int
    month: int
    rows: list[ReportRow]
    quiet: list[BillingRow]
    totals: dict[str, int]
    month_open: bool

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def billable(self) -> int:
        return sum(1 for r in self.rows if r.row.codes)

    @property
    def blocked(self) -> int:
        return sum(1 for r in self.rows if r.row.missing)

    @property
    def minutes(self) -> int:
        return sum(r.row.minutes for r in self.rows)

    @property
    def patient_ids(self) -> list[int]:
        return sorted({r.row.patient_id for r in self.rows})

    @property
    def billing_rows(self) -> list[BillingRow]:
        return [r.row for r in self.rows]


def has_minutes(row: BillingRow) -> bool:
    """Rows a lead works through: countable minutes, or minutes waiting on the consent date."""
    return row.minutes > 0 or row.minutes_before_consent > 0


def month_report(
    session: Session, clinic_id: int, year: int, month: int, today: date
) -> MonthReport:
    """The billing month of one clinic: a row per episode with minutes (in practice one per
    patient), the active episodes with none (``quiet``), and the units per code.

    ``today`` is the clinic's local date (it tells whether the month is still open). Raises
    ValueError for an unknown clinic or month.
    """
    rows = billing_month(session, clinic_id, year, month, today)
    shown, quiet = [], []
    totals: Counter[str] = Counter()
    for row in rows:
        if not has_minutes(row):
            quiet.append(row)
            continue
        failed: dict[str, list[str]] = {}
        for message in row.missing:
            failed.setdefault(check_of(message), []).append(message)
        shown.append(ReportRow(row=row, failed=failed))
        for code, units in row.codes:
            totals[code] += units
    ordered = {code: totals[code] for code in CODE_COLUMNS if totals.get(code)}
    ordered.update({c: n for c, n in totals.items() if c not in ordered})
    return MonthReport(
        clinic_id=clinic_id,
        year=year,
        month=month,
        rows=shown,
        quiet=quiet,
        totals=ordered,
        month_open=today < add_months(date(year, month, 1), 1),
    )
