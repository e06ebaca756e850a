"""Time entries through the API: a patient's entries in a month, and logging minutes.

Logging goes through ``cocm.contacts.service.log_time``, the staff app's own path: the same
checks (no future day, a year back at most, 1-600 minutes, a role that logs time in the
clinic) and its ``time_logged`` audit event.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.api.errors import Invalid
from cocm.api.schemas.time_entries import TimeEntryCreate
from cocm.billing.month import month_bounds
from cocm.contacts.service import ContactError, TimeData, log_time
from cocm.models import Patient, Staff, TimeEntry

MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")


def parse_month(text: str) -> tuple[int, int]:
    """``YYYY-MM`` as (year, month); Invalid("month") otherwise."""
    if not MONTH.fullmatch(text):
        raise Invalid.field("month", "Give the month as YYYY-MM, e.g. 2026-03.")
    year, month = int(text[:4]), int(text[5:])
    if not 2000 <= year <= 2100:
        raise Invalid.field("month", "Give a month between 2000 and 2100.")
    return year, month


def for_month(
    session: Session,
    patient_id: int,
    year: int,
    month: int,
    *,
    after_id: int | None = None,
    limit: int = 50,
) -> list[TimeEntry]:
    """The patient's entries dated in the month, by id, ``limit + 1`` at most. Superseded
    entries are listed too, with ``superseded_by_id`` set, as the audit trail shows them."""
    start, end = month_bounds(year, month)
    query = select(TimeEntry).where(
        TimeEntry.patient_id == patient_id,
        TimeEntry.performed_on >= start,
        TimeEntry.performed_on < end,
    )
    if after_id is not None:
        query = query.where(TimeEntry.id > after_id)
    return list(session.scalars(query.order_by(TimeEntry.id).limit(limit + 1)))


def log(
    session: Session,
    patient: Patient,
    data: TimeEntryCreate,
    staff: Staff,
    now: datetime,
    remote_addr: str | None = None,
) -> TimeEntry:
    """Log minutes for the patient; Invalid names the field to correct."""
    entry = TimeData(
        performed_on=data.performed_on,
        minutes=data.minutes,
        activity=data.activity,
        # Repeats are caught by the API's Idempotency-Key; each request is its own entry.
        form_token=f"api-{uuid.uuid4().hex}",
        note=data.note,
    )
    try:
        saved = log_time(session, entry, patient, staff, now, remote_addr)
    except ContactError as exc:
        raise Invalid(exc.message, list(exc.errors)) from None
    return saved.time_entry
