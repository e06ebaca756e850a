"""Dispatching due check-ins from the measurement schedule (DESIGN section 4).

Set-based from end to end, so that 100,000 patients falling due at once are planned in seconds:
one query finds every schedule row due now, and the patient's allowed window is applied to the
rows it returns. The rows are then *claimed* with compare-and-set UPDATEs on their
``next_due_at``, a thousand rows a statement: of two cron processes or workers racing for the
same row, exactly one gets the row back from its UPDATE, so exactly one check-in starts. The
database decides, not timing. The claimed check-ins are written a thousand at a time by
``cocm.cadence.starts`` (one multi-row INSERT per table), exactly the rows ``start_checkin``
writes for a patient with nothing open; a patient whose conversation was opened meanwhile by
someone else goes through ``start_checkin`` itself, which supersedes it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.cadence import bulk
from cocm.cadence.starts import chunks, people, start_many, textable
from cocm.instruments import outcomes
from cocm.messaging.window import DEFAULT_END, DEFAULT_START, in_window
from cocm.models import Assessment, Clinic, Conversation, Episode, MeasurementSchedule, Patient
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
    rows = []
    for row in session.execute(query):
        start, end = max(row[7], DEFAULT_START), min(row[8], DEFAULT_END)
        rows.append(
            _Due(row[0], row[1], row[2], row[3], row[4], row[5] or row[6], (start, end), *row[9:])
        )
    return rows


def responded_episodes(session: Session, episode_ids: list[int]) -> set[tuple[int, str]]:
    """(episode, instrument) pairs whose latest complete total is a response."""
    points: dict[tuple[int, str], list] = defaultdict(list)
    for chunk in chunks(episode_ids):
        rows = session.execute(
            select(
                Assessment.episode_id,
                Assessment.instrument,
                Assessment.completed_at,
                Assessment.total,
            ).where(
                bulk.among(session, Assessment.episode_id, chunk), Assessment.status == "completed"
            )
        )
        for episode_id, instrument, when, total in rows:
            points[(episode_id, instrument)].append((when, total))
    return {key for key, series in points.items() if outcomes.summarize(series).response}


def _busy_patients(session: Session, patient_ids: Collection[int]) -> set[int]:
    """Patients among ``patient_ids`` with an open conversation."""
    busy: set[int] = set()
    for chunk in chunks(sorted(patient_ids)):
        busy.update(
            session.scalars(
                select(Conversation.patient_id).where(
                    Conversation.status == "open",
                    bulk.among(session, Conversation.patient_id, chunk),
                )
            )
        )
    return busy


def _cadence_days(row: _Due, responded: set[tuple[int, str]]) -> int:
    if (row.episode_id, row.instrument) in responded:
        return max(row.response_cadence, row.cadence_days or 0)
    return row.cadence_days or row.default_cadence


def dispatch_due_checkins(
    session: Session, now: datetime, limit: int | None = None
) -> DispatchReport:
    """Start the check-in of every patient due now and inside their allowed window.

    A fixed number of statements per thousand check-ins. Flushes; the caller commits.
    """
    report = DispatchReport()
    due = due_now(session, now, limit)
    report.due = len(due)
    busy = _busy_patients(session, {row.patient_id for row in due})
    responded = responded_episodes(session, sorted({row.episode_id for row in due}))
    waiting: dict[int, list[_Due]] = {}
    for row in sorted(due, key=lambda r: (r.patient_id, ORDER.get(r.instrument, 9))):
        if not in_window(now, row.zone, *row.window):
            report.outside_window += 1
        elif row.patient_id in busy:
            report.busy += 1  # one conversation at a time; this one goes next run
        else:
            waiting.setdefault(row.patient_id, []).append(row)
    persons = people(session, waiting)
    started: list[tuple[int, int]] = []
    # Each round tries every waiting patient's next instrument. A patient whose claim was lost,
    # or who can no longer be texted, tries the next instrument in the following round.
    while waiting:
        tries = [rows.pop(0) for rows in waiting.values()]
        won = bulk.claim_schedules(
            session,
            [
                (row.schedule_id, row.due_at, now + timedelta(days=_cadence_days(row, responded)))
                for row in tries
            ],
        )
        ready = []
        for row in tries:
            person = persons.get(row.patient_id)
            if row.schedule_id not in won:
                report.lost_race += 1
            elif person is None or not textable(person):
                report.refused += 1
            else:
                ready.append((row, person))
        for patient_id, conversation_id in start_many(session, ready, now, report):
            started.append((patient_id, conversation_id))
            report.busy += len(waiting.pop(patient_id))
        waiting = {patient_id: rows for patient_id, rows in waiting.items() if rows}
    started.sort()
    report.started = len(started)
    report.conversation_ids = [conversation_id for _, conversation_id in started]
    session.flush()
    return report
