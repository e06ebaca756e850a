"""Correcting a time entry, and the time log that shows every correction.

Entries are never edited in place (``cocm.models.billing.TimeEntry``): a correction writes a new
entry carrying the reason (``correction_reason``) and marks the old one superseded by it, so the
chart, the audit packet and the billing month all see both. A correction to 0 minutes withdraws
an entry logged by mistake. The minutes stay the original person's (it was their work); who
made the correction is in the ``time_corrected`` audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from cocm.audit import record
from cocm.clock import local
from cocm.models import Membership, Patient, Staff, TimeEntry
from cocm.models.enums import ACTIVITIES
from cocm.timer.service import MAX_MINUTES, TimerError

MAX_REASON = 500
# Who may correct someone else's entry: the clinic lead, who answers for the billing month.
CORRECTING_ROLES = ("clinic_lead",)


class NotAllowed(PermissionError):
    """The person may not correct this entry."""


@dataclass
class Correction:
    minutes: int | None
    activity: str | None
    performed_on: date | None
    note: str | None
    reason: str | None


@dataclass
class LogLine:
    """One entry of the time log; ``replaced_by`` is the correction when it was superseded."""

    entry: TimeEntry
    staff_name: str
    replaced_by: TimeEntry | None = None

    @property
    def superseded(self) -> bool:
        return self.entry.superseded_by_id is not None

    @property
    def reason(self) -> str | None:
        return self.replaced_by.correction_reason if self.replaced_by is not None else None


def may_correct(session: Session, entry: TimeEntry, staff: Staff, clinic_id: int) -> bool:
    """The person who logged the minutes, or a clinic lead of the patient's clinic."""
    if entry.staff_id == staff.id:
        return True
    role = session.scalar(
        select(Membership.role).where(
            Membership.staff_id == staff.id,
            Membership.clinic_id == clinic_id,
            Membership.role.in_(CORRECTING_ROLES),
        )
    )
    return role is not None


def _validate(change: Correction, entry: TimeEntry, today: date) -> None:
    problems: list[tuple[str, str]] = []
    reason = (change.reason or "").strip()
    if not reason:
        problems.append(("reason", "Say why the entry is corrected."))
    elif len(reason) > MAX_REASON:
        problems.append(("reason", f"Keep the reason under {MAX_REASON} characters."))
    if change.minutes is None or not 0 <= change.minutes <= MAX_MINUTES:
        problems.append(("minutes", f"Minutes must be between 0 and {MAX_MINUTES}."))
    if change.activity not in ACTIVITIES:
        problems.append(("activity", "Choose the activity the minutes were spent on."))
    if change.performed_on is None:
        problems.append(("performed_on", "Enter the day the work was done."))
    elif change.performed_on > today:
        problems.append(("performed_on", "Time cannot be logged for a future day."))
    elif change.performed_on < today - timedelta(days=366):
        problems.append(("performed_on", "Time more than a year old cannot be corrected here."))
    if not problems and (
        change.minutes == entry.minutes
        and change.activity == entry.activity
        and change.performed_on == entry.performed_on
        and (change.note or "").strip() == (entry.note or "")
    ):
        problems.append(("minutes", "Nothing was changed."))
    if problems:
        field, message = problems[0]
        error = TimerError(message, field)
        error.problems = problems  # type: ignore[attr-defined]
        raise error


def correct_entry(
    session: Session,
    entry_id: int,
    patient: Patient,
    staff: Staff,
    change: Correction,
    now: datetime,
    remote_addr: str | None = None,
) -> TimeEntry:
    """Replace one live entry of ``patient`` with a corrected one; returns the new entry.

    Raises LookupError for an entry that is not this patient's, NotAllowed when the person may
    not correct it, and TimerError for a superseded entry or input to fix (``problems`` lists
    every field). Safe against two corrections at once: only one can supersede the entry.
    """
    entry = session.scalar(
        select(TimeEntry)
        .where(TimeEntry.id == entry_id, TimeEntry.patient_id == patient.id)
        .with_for_update()
    )
    if entry is None:
        raise LookupError(f"no time entry {entry_id} for this patient")
    if not may_correct(session, entry, staff, patient.clinic_id):
        raise NotAllowed(
            "Only the person who logged the minutes or a clinic lead may correct them."
        )
    if entry.superseded_by_id is not None:
        raise TimerError("This entry was already corrected; correct the current one instead.")
    _validate(change, entry, local(now, patient.clinic.timezone).date())
    with session.begin_nested():
        replacement = TimeEntry(
            patient_id=entry.patient_id,
            episode_id=entry.episode_id,
            staff_id=entry.staff_id,
            role=entry.role,
            activity=change.activity,
            performed_on=change.performed_on,
            minutes=change.minutes,
            note=(change.note or "").strip() or None,
            contact_id=entry.contact_id,
            started_at=entry.started_at,
            ended_at=entry.ended_at,
            correction_reason=(change.reason or "").strip(),
            created_at=now,
        )
        session.add(replacement)
        session.flush()
        # Compare-and-set: of two corrections racing, the second finds the entry taken.
        claimed = session.execute(
            update(TimeEntry)
            .where(TimeEntry.id == entry.id, TimeEntry.superseded_by_id.is_(None))
            .values(superseded_by_id=replacement.id)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            raise TimerError("This entry was already corrected; correct the current one instead.")
    session.refresh(entry)
    record(
        session,
        "time_corrected",
        staff_id=staff.id,
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        object_type="time_entry",
        object_id=replacement.id,
        remote_addr=remote_addr,
        detail={
            "replaces": entry.id,
            "reason": replacement.correction_reason,
            "minutes": [entry.minutes, replacement.minutes],
            "activity": [entry.activity, replacement.activity],
            "performed_on": [entry.performed_on.isoformat(), replacement.performed_on.isoformat()],
        },
    )
    session.flush()
    return replacement


def time_log(
    session: Session, patient_id: int, *, since: date | None = None, until: date | None = None
) -> list[LogLine]:
    """The patient's time entries dated in [since, until), newest first, each superseded entry
    with the correction that replaced it. Two statements whatever the length of the log."""
    author = aliased(Staff)
    query = (
        select(TimeEntry, author.full_name)
        .join(author, author.id == TimeEntry.staff_id)
        .where(TimeEntry.patient_id == patient_id)
        .order_by(TimeEntry.performed_on.desc(), TimeEntry.id.desc())
    )
    if since is not None:
        query = query.where(TimeEntry.performed_on >= since)
    if until is not None:
        query = query.where(TimeEntry.performed_on < until)
    rows = list(session.execute(query))
    lines = [LogLine(entry=entry, staff_name=name) for entry, name in rows]
    known = {line.entry.id: line.entry for line in lines}
    wanted = {
        line.entry.superseded_by_id
        for line in lines
        if line.entry.superseded_by_id is not None and line.entry.superseded_by_id not in known
    }
    if wanted:
        # A correction dated outside the window (the day itself was corrected).
        for entry in session.scalars(select(TimeEntry).where(TimeEntry.id.in_(wanted))):
            known[entry.id] = entry
    for line in lines:
        if line.entry.superseded_by_id is not None:
            line.replaced_by = known.get(line.entry.superseded_by_id)
    return lines
