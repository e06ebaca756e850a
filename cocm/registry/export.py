"""The registry as CSV, one line per episode, for a care manager's or lead's spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from cocm.registry.flags import FLAGS
from cocm.registry.service import RegistryRow

HEADER = (
    "patient_id",
    "last_name",
    "first_name",
    "mrn",
    "clinic",
    "care_manager",
    "status",
    "program",
    "enrolled_on",
    "weeks_in_treatment",
    "phq9_baseline",
    "phq9_baseline_on",
    "phq9_last",
    "phq9_last_on",
    "phq9_change_percent",
    "gad7_baseline",
    "gad7_baseline_on",
    "gad7_last",
    "gad7_last_on",
    "gad7_change_percent",
    "last_contact_on",
    "next_contact_on",
    "next_contact_confirmed",
    "next_action",
    "minutes_this_month",
    "threshold_code",
    "threshold_minutes",
    "next_code",
    "minutes_to_next",
    "flags",
    *FLAGS,
)


def _cell(value: object) -> object:
    # A spreadsheet runs a cell that starts with = + - @ as a formula; names and notes are free
    # text typed by people, so they are defused. Numbers are left as numbers.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return round(value, 1)
    return "" if value is None else value


def registry_csv(rows: Iterable[RegistryRow]) -> str:
    """The rows as CSV text with a header line; a yes/blank column per flag."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    for r in rows:
        values = (
            r.patient_id,
            r.last_name,
            r.first_name,
            r.mrn,
            r.clinic_name,
            r.care_manager,
            r.status,
            r.program,
            r.enrolled_on.isoformat(),
            r.weeks_in_treatment,
            r.phq9.baseline,
            r.phq9.baseline_on.isoformat() if r.phq9.baseline_on else None,
            r.phq9.last,
            r.phq9.last_on.isoformat() if r.phq9.last_on else None,
            r.phq9.change,
            r.gad7.baseline,
            r.gad7.baseline_on.isoformat() if r.gad7.baseline_on else None,
            r.gad7.last,
            r.gad7.last_on.isoformat() if r.gad7.last_on else None,
            r.gad7.change,
            r.last_contact_on.isoformat() if r.last_contact_on else None,
            r.next_contact_on.isoformat() if r.next_contact_on else None,
            r.next_contact_confirmed,
            r.next_action,
            r.minutes_month,
            r.threshold_code,
            r.threshold_minutes,
            r.next_code,
            r.minutes_to_next,
            "; ".join(FLAGS[f] for f in r.flags),
            *((name in r.flags) for name in FLAGS),
        )
        writer.writerow([_cell(v) for v in values])
    return out.getvalue()
