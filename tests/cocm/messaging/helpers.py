"""Shared helpers for the outbound-messaging tests."""

from __future__ import annotations

from datetime import UTC, datetime

from rq import Queue, SimpleWorker
from sqlalchemy import select

from cocm.messaging.outbox import queue_message
from cocm.models import Message, OutboxItem

# 2026-03-03 15:00 UTC is 10:00 in New York (EST, UTC-5): inside the texting window.
MORNING = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)
BODY = "Hi Dana, it is time for your check-in. Reply to this text to start."


def run_worker(redis, *queues: str) -> None:
    """Run every job waiting on ``queues`` in this process (the job sees the test's database)."""
    worker = SimpleWorker([Queue(name, connection=redis) for name in queues], connection=redis)
    worker.work(burst=True)


def queue_text(session, patient, now, *, kind="checkin_open", **kwargs) -> Message:
    return queue_message(
        session, clinic=patient.clinic, patient=patient, kind=kind, body=BODY, now=now, **kwargs
    )


def page_staff(session, clinic, staff, now, *, urgent=True) -> Message:
    return queue_message(
        session,
        clinic=clinic,
        staff=staff,
        kind="staff_page",
        body="Urgent item in the care team queue needs you now. Open: https://x.example/q/1",
        now=now,
        urgent=urgent,
    )


def outbox_for(session, message: Message) -> OutboxItem:
    """The message's outbox row as the database has it now."""
    return session.scalars(
        select(OutboxItem)
        .where(OutboxItem.message_id == message.id)
        .execution_options(populate_existing=True)
    ).one()


def fresh(session, obj):
    """``obj`` re-read from the database."""
    return session.get(type(obj), obj.id, populate_existing=True)
