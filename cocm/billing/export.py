"""The billing month as CSV, one line per episode, for the billing clerk's spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cocm.billing.month import BillingRow

CODE_COLUMNS = ("G2214", "99492", "99493", "99494", "99484")
HEADER = (
    "clinic",
    "month",
    "patient_id",
    "patient",
    "mrn",
    "care_manager",
    "episode_id",
    "program",
    "episode_status",
    "month_kind",
    "minutes",
    "consultant_minutes",
    "minutes_before_consent",
    "codes",
    *CODE_COLUMNS,
    "missing",
    "next_code",
    "minutes_to_next",
    "notes",
)


def format_codes(codes: list[tuple[str, int]]) -> str:
    """``[("99492", 1), ("99494", 2)]`` as ``"99492, 99494 x2"`` (empty for none)."""
    return ", ".join(code if units == 1 else f"{code} x{units}" for code, units in codes)


def _cell(value: object) -> object:
    # A spreadsheet runs a cell that starts with = + - @ as a formula; names are free text.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def billing_csv(rows: Iterable[BillingRow]) -> str:
    """The rows as CSV text with a header line; a column per code holds its units."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        units = dict(row.codes)
        writer.writerow(
            [
                _cell(value)
                for value in (
                    row.clinic_slug,
                    row.month,
                    row.patient_id,
                    row.patient_name,
                    row.mrn,
                    row.care_manager,
                    row.episode_id,
                    row.program,
                    row.status,
                    row.month_kind,
                    row.minutes,
                    row.consultant_minutes,
                    row.minutes_before_consent,
                    format_codes(row.codes),
                    *(units.get(code, "") for code in CODE_COLUMNS),
                    "; ".join(row.missing),
                    row.next_code,
                    row.minutes_to_next,
                    "; ".join(row.notes),
                )
            ]
        )
    return out.getvalue()
