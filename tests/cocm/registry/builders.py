"""Small builders for registry, queue and chart tests (data through the models, flushed)."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import event, select

from cocm import db
from cocm.instruments import score
from cocm.models import (
    Assessment,
    AssessmentAnswer,
    CaseReview,
    CaseReviewItem,
    Contact,
    MeasurementSchedule,
    Message,
    QueueItem,
    TimeEntry,
)


def at(day: date | str, hour: int = 15, minute: int = 0) -> datetime:
    """A UTC moment on ``day`` (15:00 UTC is mid-morning in the US)."""
    day = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def assessment(patient, episode, instrument: str, total: int, when: datetime, *, risk_item=0):
    """A completed assessment whose answers add up to ``total`` (item 9 = ``risk_item``)."""
    count = 9 if instrument == "PHQ-9" else 7
    values = [0] * count
    if instrument == "PHQ-9":
        values[8] = risk_item
    remaining = total - sum(values)
    for n in range(count):
        if instrument == "PHQ-9" and n == 8:
            continue
        step = min(3, remaining)
        values[n] = step
        remaining -= step
    assert remaining == 0, "total too high for the items"
    result = score(instrument, values)
    row = Assessment(
        patient_id=patient.id,
        episode_id=episode.id if episode is not None else None,
        instrument=instrument,
        channel="sms",
        status="completed",
        total=result.total,
        severity=result.severity,
        risk=result.risk,
        started_at=when - timedelta(minutes=5),
        completed_at=when,
    )
    row.answers = [
        AssessmentAnswer(item_number=n + 1, value=v, answered_at=when) for n, v in enumerate(values)
    ]
    db.Session.add(row)
    db.Session.flush()
    return row


def contact(patient, episode, staff, when: datetime, **kwargs) -> Contact:
    values = {
        "kind": "phone",
        "outcome": "reached",
        "template": "follow_up",
        "minutes": 10,
        "note": "Talked about sleep.",
    }
    values.update(kwargs)
    row = Contact(
        patient_id=patient.id,
        episode_id=episode.id if episode is not None else None,
        staff_id=staff.id,
        occurred_at=when,
        **values,
    )
    db.Session.add(row)
    db.Session.flush()
    return row


def time_entry(patient, episode, staff, day: date, minutes: int, **kwargs) -> TimeEntry:
    values = {"role": "care_manager", "activity": "brief_intervention"}
    values.update(kwargs)
    row = TimeEntry(
        patient_id=patient.id,
        episode_id=episode.id if episode is not None else None,
        staff_id=staff.id,
        performed_on=day,
        minutes=minutes,
        **values,
    )
    db.Session.add(row)
    db.Session.flush()
    return row


def queue_item(patient, when: datetime, *, kind="needs_person", priority=None, **kwargs):
    urgent = kind in ("risk_answer", "risk_words", "drill")
    row = QueueItem(
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        kind=kind,
        priority=priority or ("urgent" if urgent else "normal"),
        status=kwargs.pop("status", "open"),
        reason=kwargs.pop("reason", f"{kind.replace('_', ' ')} for the test"),
        opened_at=when,
        **kwargs,
    )
    db.Session.add(row)
    db.Session.flush()
    return row


def message(patient, when: datetime, body: str, direction: str = "inbound") -> Message:
    row = Message(
        direction=direction,
        patient_id=patient.id,
        clinic_id=patient.clinic_id,
        body=body,
        status="received" if direction == "inbound" else "delivered",
        created_at=when,
    )
    db.Session.add(row)
    db.Session.flush()
    return row


def schedule(episode, due: datetime, instrument="PHQ-9", active=True) -> MeasurementSchedule:
    row = MeasurementSchedule(
        episode_id=episode.id, instrument=instrument, next_due_at=due, active=active
    )
    db.Session.add(row)
    db.Session.flush()
    return row


def reviewed(patient, episode, when: datetime) -> CaseReviewItem:
    review = db.Session.scalar(
        select(CaseReview).where(
            CaseReview.clinic_id == patient.clinic_id, CaseReview.scheduled_for == when
        )
    )
    if review is None:
        review = CaseReview(clinic_id=patient.clinic_id, scheduled_for=when, status="done")
        db.Session.add(review)
        db.Session.flush()
    item = CaseReviewItem(
        review_id=review.id,
        patient_id=patient.id,
        episode_id=episode.id,
        reason="new",
        position=1,
        reviewed_at=when,
    )
    db.Session.add(item)
    db.Session.flush()
    return item


@contextmanager
def count_statements(engine):
    """Count the SQL statements sent to ``engine`` inside the block (savepoints left out).

    The block starts from an empty session, as every request does, so objects the test built
    in the identity map cannot hide a statement.
    """
    db.Session.commit()  # a savepoint release inside the test's outer transaction
    db.Session.remove()
    statements: list[str] = []

    def _before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", _before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _before)
