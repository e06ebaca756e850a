"""The start/stop timer for work done away from a contact (DESIGN 7: minutes, one calendar month).

A running timer is two facts the audit trail records anyway: who started timing which patient,
and when. So the timer *is* its audit events: ``timer_started`` opens it, ``timer_stopped`` or
``timer_discarded`` closes it, and a person's running timer is their latest timer event when
that event is a start less than ``MAX_RUNNING`` old. This needs no new table, survives the idle
sign-out (the signed session is cleared after 15 idle minutes, often while the phone call being
timed is still going), works across devices and web nodes, and leaves the trail an auditor asks
for. One person runs at most one timer at a time: nobody works two patients in the same minute.

Stopping asks for the activity and writes the TimeEntry through ``cocm.contacts.service.log_time``
with the timer's own token as the form token, so a stop posted twice logs the minutes once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.audit import record
from cocm.clock import local
from cocm.contacts.service import ContactError, Saved, TimeData, log_time, time_role
from cocm.models import AuditEvent, Patient, Staff

STARTED, STOPPED, DISCARDED = "timer_started", "timer_stopped", "timer_discarded"
TIMER_ACTIONS = (STARTED, STOPPED, DISCARDED)
# A timer left running longer than a working day was forgotten; it stops blocking a new one.
MAX_RUNNING = timedelta(hours=12)
MAX_MINUTES = 600


class TimerError(ValueError):
    """A timer action that cannot happen; ``field`` names the form field when there is one."""

    def __init__(self, message: str, field: str | None = None, other_patient_id: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        self.other_patient_id = other_patient_id


@dataclass(frozen=True)
class RunningTimer:
    patient_id: int
    clinic_id: int | None
    started_at: datetime
    token: str
    role: str | None

    def elapsed(self, now: datetime) -> timedelta:
        return max(now - self.started_at, timedelta(0))

    def elapsed_minutes(self, now: datetime) -> int:
        """Whole minutes, rounded to the nearest (29 s is 0, 30 s is 1)."""
        return int((self.elapsed(now).total_seconds() + 30) // 60)


def running_timer(session: Session, staff_id: int, now: datetime) -> RunningTimer | None:
    """The person's running timer, or None. One indexed statement (audit events by staff)."""
    event = session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.staff_id == staff_id,
            AuditEvent.action.in_(TIMER_ACTIONS),
            AuditEvent.occurred_at > now - MAX_RUNNING,
        )
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(1)
    )
    if event is None or event.action != STARTED or event.patient_id is None:
        return None
    detail = event.detail or {}
    return RunningTimer(
        patient_id=event.patient_id,
        clinic_id=event.clinic_id,
        started_at=event.occurred_at,
        token=str(detail.get("token", f"timer-{event.id}")),
        role=detail.get("role"),
    )


def _lock_staff(session: Session, staff: Staff) -> None:
    # Two clicks on Start from two tabs start one timer: the second waits for the first's commit.
    session.execute(select(Staff.id).where(Staff.id == staff.id).with_for_update())


def start_timer(
    session: Session, patient: Patient, staff: Staff, now: datetime, remote_addr: str | None = None
) -> RunningTimer:
    """Start timing work for ``patient``; starting again while it runs changes nothing.

    Raises TimerError when the person's role does not log time in the patient's clinic, or when
    their timer is running for another patient (``other_patient_id`` says which).
    """
    role = time_role(session, staff, patient.clinic_id)
    if role is None:
        raise TimerError("Your role in this clinic does not log time for patients.")
    _lock_staff(session, staff)
    current = running_timer(session, staff.id, now)
    if current is not None:
        if current.patient_id == patient.id:
            return current
        raise TimerError(
            "Your timer is running for another patient: stop or discard it first.",
            other_patient_id=current.patient_id,
        )
    token = "timer-" + secrets.token_urlsafe(18)
    event = record(
        session,
        STARTED,
        staff_id=staff.id,
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        object_type="timer",
        remote_addr=remote_addr,
        detail={"token": token, "role": role},
    )
    event.occurred_at = now
    session.flush()
    return RunningTimer(patient.id, patient.clinic_id, now, token, role)


def stop_timer(
    session: Session,
    patient: Patient,
    staff: Staff,
    now: datetime,
    *,
    activity: str | None,
    note: str | None = None,
    minutes: int | None = None,
    remote_addr: str | None = None,
) -> Saved:
    """Stop the timer and log its minutes as a TimeEntry on the day it started (clinic time).

    ``minutes`` may lower the timed minutes (an interruption), never raise them. The entry
    keeps the timer's start and stop instants. Raises TimerError (with the form field) for
    anything the person must correct; ``Saved.created`` is False for a stop posted twice.
    """
    current = running_timer(session, staff.id, now)
    if current is None or current.patient_id != patient.id:
        raise TimerError("No timer is running for this patient.")
    elapsed = current.elapsed_minutes(now)
    if minutes is None:
        if elapsed < 1:
            raise TimerError(
                "Less than a minute has passed: keep the timer running or discard it.", "minutes"
            )
        if elapsed > MAX_MINUTES:
            raise TimerError(
                f"The timer ran {elapsed} minutes: enter the minutes actually worked "
                f"(at most {MAX_MINUTES}).",
                "minutes",
            )
        minutes = elapsed
    elif not 1 <= minutes <= min(max(elapsed, 1), MAX_MINUTES):
        raise TimerError(
            f"Minutes must be between 1 and {min(max(elapsed, 1), MAX_MINUTES)}: "
            "the time the timer ran, or less.",
            "minutes",
        )
    data = TimeData(
        performed_on=local(current.started_at, patient.clinic.timezone).date(),
        minutes=minutes,
        activity=activity or "",
        form_token=current.token,
        note=note,
    )
    try:
        saved = log_time(session, data, patient, staff, now, remote_addr)
    except ContactError as exc:
        raise TimerError(exc.message, exc.field) from None
    if saved.created and saved.time_entry is not None:
        saved.time_entry.started_at = current.started_at
        saved.time_entry.ended_at = now
        event = record(
            session,
            STOPPED,
            staff_id=staff.id,
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            object_type="time_entry",
            object_id=saved.time_entry.id,
            remote_addr=remote_addr,
            detail={"token": current.token, "minutes": minutes, "timed_minutes": elapsed},
        )
        event.occurred_at = now
        session.flush()
    return saved


def discard_timer(
    session: Session, patient: Patient, staff: Staff, now: datetime, remote_addr: str | None = None
) -> bool:
    """Throw the running timer away without logging time; False when none was running."""
    current = running_timer(session, staff.id, now)
    if current is None or current.patient_id != patient.id:
        return False
    event = record(
        session,
        DISCARDED,
        staff_id=staff.id,
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        object_type="timer",
        remote_addr=remote_addr,
        detail={"token": current.token, "timed_minutes": current.elapsed_minutes(now)},
    )
    event.occurred_at = now
    session.flush()
    return True
