"""Dispatching due check-ins from the measurement schedule (DESIGN section 4).

One set-based query finds every schedule row due now; the patient's allowed window is applied to
the rows it returns. Each row is then *claimed* with a compare-and-set UPDATE on its
``next_due_at``: of two cron processes or workers racing for the same row, exactly one sees its
UPDATE match, so exactly one check-in starts. The database decides, not timing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session

from cocm.checkins.service import NotTextable, start_checkin
from cocm.instruments import outcomes
from cocm.messaging.window import in_window
from cocm.models import (
    Assessment,
    Clinic,
    Conversation,
    Episode,
    MeasurementSchedule,
    Patient,
)
from cocm.models.enums import OPEN_EPISODE_STATUSES

# When several instruments fall due together, the PHQ-9 goes first; the next waits its turn.
ORDER = {"PHQ-9": 0, "GAD-7": 1, "PHQ-2": 2, "GAD-2": 3}


@dataclass
class DispatchReport:
    due: int = 0
    outside_window: int = 0
    busy: int = 0
    started: int = 0
    lost_race: int = 0
    refused: int = 0
    conversation_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Due:
    schedule_id: int
    due_at: datetime
    instrument: str
    patient_id: int
    episode_id: int
    zone: str
    window: tuple
    cadence_days: int | None
    default_cadence: int
    response_cadence: int


def due_now(session: Session, now: datetime, limit: int | None = None) -> list[_Due]:
    """Every active schedule due at ``now`` for a textable patient in an open episode."""
    query = (
        select(
            MeasurementSchedule.id,
            MeasurementSchedule.next_due_at,
            MeasurementSchedule.instrument,
            Patient.id,
            Episode.id,
            Patient.timezone,
            Clinic.timezone,
            Clinic.text_window_start,
            Clinic.text_window_end,
            Episode.cadence_days,
            Clinic.default_cadence_days,
            Clinic.response_cadence_days,
        )
        .join(Episode, Episode.id == MeasurementSchedule.episode_id)
        .join(Patient, Patient.id == Episode.patient_id)
        .join(Clinic, Clinic.id == Patient.clinic_id)
        .where(
            MeasurementSchedule.active.is_(True),
            MeasurementSchedule.next_due_at <= now,
            Episode.status.in_(OPEN_EPISODE_STATUSES),
            Patient.sms_opted_out.is_(False),
            Patient.sms_consent_at.is_not(None),
            Patient.phone_e164.is_not(None),
            Patient.phone_problem.is_(None),
        )
        .order_by(MeasurementSchedule.next_due_at, MeasurementSchedule.id)
    )
    if limit:
        query = query.limit(limit)
    from cocm.messaging.window import DEFAULT_END, DEFAULT_START

    rows = []
    for row in session.execute(query):
        start, end = max(row[7], DEFAULT_START), min(row[8], DEFAULT_END)
        rows.append(
            _Due(row[0], row[1], row[2], row[3], row[4], row[5] or row[6], (start, end), *row[9:])
        )
    return rows


def responded_episodes(session: Session, episode_ids: list[int]) -> set[tuple[int, str]]:
    """(episode, instrument) pairs whose latest complete total is a response — one query."""
    if not episode_ids:
        return set()
    points: dict[tuple[int, str], list] = defaultdict(list)
    rows = session.execute(
        select(
            Assessment.episode_id, Assessment.instrument, Assessment.completed_at, Assessment.total
        ).where(Assessment.episode_id.in_(episode_ids), Assessment.status == "completed")
    )
    for episode_id, instrument, when, total in rows:
        points[(episode_id, instrument)].append((when, total))
    return {key for key, series in points.items() if outcomes.summarize(series).response}


def claim(session: Session, schedule_id: int, expected_due: datetime, next_due: datetime) -> bool:
    """Move a schedule row on, only if nobody else did first. True for the one winner."""
    result = session.execute(
        update(MeasurementSchedule)
        .where(
            and_(
                MeasurementSchedule.id == schedule_id,
                MeasurementSchedule.next_due_at == expected_due,
            )
        )
        .values(next_due_at=next_due)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def dispatch_due_checkins(
    session: Session, now: datetime, limit: int | None = None
) -> DispatchReport:
    """Start the check-in of every patient due now and inside their allowed window."""
    report = DispatchReport()
    due = due_now(session, now, limit)
    report.due = len(due)
    busy = set(
        session.scalars(
            select(Conversation.patient_id).where(
                Conversation.status == "open",
                Conversation.patient_id.in_({row.patient_id for row in due}),
            )
        )
    )
    responded = responded_episodes(session, sorted({row.episode_id for row in due}))
    started_patients: set[int] = set()
    for row in sorted(due, key=lambda r: (r.patient_id, ORDER.get(r.instrument, 9))):
        if not in_window(now, row.zone, *row.window):
            report.outside_window += 1
            continue
        if row.patient_id in busy or row.patient_id in started_patients:
            report.busy += 1  # one conversation at a time; this one goes next run
            continue
        days = (
            max(row.response_cadence, row.cadence_days or 0)
            if (row.episode_id, row.instrument) in responded
            else row.cadence_days or row.default_cadence
        )
        if not claim(session, row.schedule_id, row.due_at, now + timedelta(days=days)):
            report.lost_race += 1
            continue
        patient = session.get(Patient, row.patient_id)
        try:
            with session.begin_nested():
                conversation = start_checkin(session, patient, row.instrument, now)
        except NotTextable:
            report.refused += 1
            continue
        started_patients.add(row.patient_id)
        report.started += 1
        report.conversation_ids.append(conversation.id)
    session.flush()
    return report
