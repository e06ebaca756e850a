"""RQ jobs for outbound texts. Each takes ids (or nothing), opens its own session, reads the
settings itself, re-checks state before acting, and is safe to run twice.

Suggested rows for ``jobs.schedule.CRON_TABLE``::

    Periodic("jobs.messaging.sweep_outbox", "sms", 60, 240)
    Periodic("jobs.messaging.reconcile_delivery", "default", 86400, 1800)
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from rq.timeouts import BaseTimeoutException
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from cocm import db
from cocm.clock import utcnow
from cocm.config import Settings, get_settings
from cocm.messaging.delivery import deliver
from cocm.messaging.delivery_jobs import BATCH_BUDGET
from cocm.messaging.dispatch import enqueue_deliveries, mark_enqueued
from cocm.messaging.reconcile import reconcile
from cocm.messaging.senders import get_sender
from cocm.messaging.sweeper import claim_due

log = logging.getLogger(__name__)


def _ready() -> Settings:
    """Settings, and the database bound, in whatever process runs the job."""
    settings = get_settings()
    try:
        db.get_engine()
    except RuntimeError:
        from cocm.startup import connect_database

        connect_database(settings, check=False)
    return settings


def deliver_outbox(outbox_id: int) -> str:
    """Deliver one outbox row (see ``cocm.messaging.delivery.deliver``); returns the outcome."""
    settings = _ready()
    with db.session_scope() as session:
        outcome = deliver(session, outbox_id, utcnow(), get_sender(settings))
    log.info("outbox %s: %s", outbox_id, outcome)
    return outcome


def deliver_outbox_many(outbox_ids: list[int]) -> dict[str, int]:
    """Deliver several outbox rows one after the other, each exactly as ``deliver_outbox`` does
    (its own claim and commits); returns how many had each outcome.

    A row whose delivery raises is left to the sweeper, and the job fails at the end, after the
    others. Past ``BATCH_BUDGET`` seconds the rest go on in a new job (see
    ``cocm.messaging.delivery_jobs``).
    """
    settings = _ready()
    sender = get_sender(settings)
    outcomes: Counter[str] = Counter()
    errors: list[int] = []
    deadline = time.monotonic() + BATCH_BUDGET
    with _one_connection() as session:
        for position, outbox_id in enumerate(outbox_ids):
            if time.monotonic() > deadline:
                rest = outbox_ids[position:]
                if enqueue_deliveries(rest):
                    mark_enqueued(rest)
                outcomes["handed_on"] = len(rest)
                break
            try:
                outcomes[deliver(session, outbox_id, utcnow(), sender)] += 1
            except BaseTimeoutException:
                raise
            except Exception as exc:  # noqa: BLE001 - one bad row must not hold up the others
                session.rollback()
                log.error("outbox %s not delivered: %s", outbox_id, type(exc).__name__)
                errors.append(outbox_id)
    log.info("outbox batch of %d: %s", len(outbox_ids), dict(outcomes))
    if errors:
        raise RuntimeError(f"outbox rows not delivered (left for the sweeper): {errors}")
    return dict(outcomes)


@contextmanager
def _one_connection() -> Iterator[Session]:
    """A session that keeps one database connection for the whole batch: a connection handed
    back to the pool after each commit would be pinged again (``pool_pre_ping``) on the next,
    two round trips a message. Where the session registry is bound to a connection already
    (the tests' transaction), its usual session."""
    bind = db.session_factory.kw.get("bind")
    if not isinstance(bind, Engine):
        with db.session_scope() as session:
            yield session
        return
    with bind.connect() as connection, db.session_factory(bind=connection) as session:
        yield session
        session.commit()


def sweep_outbox(limit: int = 500) -> dict[str, int]:
    """Enqueue due rows whose job is missing (``cocm.messaging.sweeper.claim_due``).

    If Redis will not take the jobs (the sweeper ran from a process that can still reach the
    database but not Redis), they are delivered here, one by one.
    """
    settings = _ready()
    with db.session_scope() as session:
        ids = claim_due(session, utcnow(), limit=limit)
    if not ids or enqueue_deliveries(ids):
        return {"enqueued": len(ids), "delivered": 0}
    sender = get_sender(settings)
    delivered = 0
    for outbox_id in ids:
        with db.session_scope() as session:
            if deliver(session, outbox_id, utcnow(), sender) == "sent":
                delivered += 1
    return {"enqueued": 0, "delivered": delivered}


def reconcile_delivery(limit: int = 1000) -> dict[str, int]:
    """Daily: ask the provider about texts still "sent" after 24 hours
    (``cocm.messaging.reconcile.reconcile``)."""
    settings = _ready()
    with db.session_scope() as session:
        report = reconcile(session, utcnow(), get_sender(settings), limit=limit)
    log.info("reconciled delivery: %s", report)
    return vars(report)
