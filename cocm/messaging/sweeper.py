"""Finding outbox rows whose delivery job never ran, was lost, or died half way."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from cocm.models import OutboxItem

STALE_AFTER = timedelta(minutes=10)


def claim_due(
    session: Session,
    now: datetime,
    *,
    stale_after: timedelta = STALE_AFTER,
    limit: int = 500,
) -> list[int]:
    """Mark due rows whose job is missing as enqueued now, and return their ids (oldest first).

    A row is taken when it is pending, due (``not_before`` passed), and its job is missing: never
    enqueued (Redis was down, or a retry or window deferral cleared ``enqueued_at``), enqueued
    before it was due (that job found it early and left it), or enqueued more than
    ``stale_after`` ago (the job was lost). A row stuck in "sending" past its lease (the worker
    died mid-send) is taken too, by the same test from the lease's end; see ``delivery`` for
    what that can mean. One UPDATE ... WHERE id
    IN (SELECT ... FOR UPDATE SKIP LOCKED LIMIT n) RETURNING id: two sweepers never take the same
    row (SQLite has one writer at a time). Only flushes; the caller commits, then enqueues.
    """

    def job_missing(due_since):
        return or_(
            OutboxItem.enqueued_at.is_(None),
            OutboxItem.enqueued_at < due_since,
            OutboxItem.enqueued_at < now - stale_after,
        )

    due = (
        select(OutboxItem.id)
        .where(
            or_(
                and_(
                    OutboxItem.status == "pending",
                    OutboxItem.not_before <= now,
                    job_missing(OutboxItem.not_before),
                ),
                and_(
                    OutboxItem.status == "sending",
                    OutboxItem.locked_until < now,
                    job_missing(OutboxItem.locked_until),
                ),
            )
        )
        .order_by(OutboxItem.not_before, OutboxItem.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = session.execute(
        update(OutboxItem)
        .where(OutboxItem.id.in_(due.scalar_subquery()))
        .values(enqueued_at=now)
        .returning(OutboxItem.id, OutboxItem.not_before)
        .execution_options(synchronize_session=False)
    ).all()
    return [row.id for row in sorted(rows, key=lambda r: (r.not_before, r.id))]
