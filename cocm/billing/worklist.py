"""The month-end worklist: patients a few minutes short of their next code, smallest gap first.

It is the billing month of today's month, filtered: the same set-based statements, so it costs
the same for a clinic of any size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.billing.month import billing_month, month_bounds
from cocm.billing.rules import RuleSet
from cocm.clock import utcnow
from cocm.models import Clinic
from cocm.models.enums import OPEN_EPISODE_STATUSES

DEFAULT_MAX_GAP = 15


@dataclass(frozen=True)
class WorklistItem:
    """One patient within reach of a code before the month closes."""

    patient_id: int
    patient_name: str
    mrn: str
    care_manager_id: int | None
    care_manager: str | None
    episode_id: int
    program: str
    month_kind: str
    minutes: int
    minutes_needed: int
    next_code: str
    days_left: int
    missing: tuple[str, ...]


def month_end_worklist(
    session: Session,
    clinic_id: int,
    today: date | None = None,
    *,
    max_gap: int = DEFAULT_MAX_GAP,
    care_manager_id: int | None = None,
    rules: RuleSet | None = None,
) -> list[WorklistItem]:
    """Open episodes in ``today``'s month that need at most ``max_gap`` more minutes for their
    next code, sorted by the gap, then by name.

    ``today`` is the clinic's local date (default from the clock); ``days_left`` counts today.
    Zero-minute months are included only when the first code is within ``max_gap``. Items keep
    the row's missing evidence, so the same call can fix the paperwork too.
    """
    if max_gap < 1:
        raise ValueError(f"max_gap must be at least 1, got {max_gap}")
    if today is None:
        zone = session.scalar(select(Clinic.timezone).where(Clinic.id == clinic_id))
        if zone is None:
            raise ValueError(f"unknown clinic id {clinic_id}")
        today = utcnow().astimezone(ZoneInfo(zone)).date()
    _, end = month_bounds(today.year, today.month)
    days_left = (end - today) // timedelta(days=1)
    items = [
        WorklistItem(
            patient_id=row.patient_id,
            patient_name=row.patient_name,
            mrn=row.mrn,
            care_manager_id=row.care_manager_id,
            care_manager=row.care_manager,
            episode_id=row.episode_id,
            program=row.program,
            month_kind=row.month_kind,
            minutes=row.minutes,
            minutes_needed=row.minutes_to_next,
            next_code=row.next_code,
            days_left=days_left,
            missing=tuple(row.missing),
        )
        for row in billing_month(session, clinic_id, today.year, today.month, today, rules=rules)
        if row.next_code is not None
        and row.minutes_to_next is not None
        and row.minutes_to_next <= max_gap
        and row.status in OPEN_EPISODE_STATUSES
        and (care_manager_id is None or row.care_manager_id == care_manager_id)
    ]
    items.sort(key=lambda i: (i.minutes_needed, i.patient_name, i.patient_id, i.episode_id))
    return items
