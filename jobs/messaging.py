"""RQ jobs for outbound texts. Each takes ids (or nothing), opens its own session, reads the
settings itself, re-checks state before acting, and is safe to run twice.

Suggested rows for ``jobs.schedule.CRON_TABLE``::

    Periodic("jobs.messaging.sweep_outbox", "sms", 60, 240)
    Periodic("jobs.messaging.reconcile_delivery", "default", 86400, 1800)
"""

from __future__ import annotations

import logging

from cocm import db
from cocm.clock import utcnow
from cocm.config import Settings, get_settings
from cocm.messaging.delivery import deliver
from cocm.messaging.dispatch import enqueue_deliveries
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
