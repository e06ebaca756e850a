"""The periodic jobs as data: (dotted function, queue, interval seconds, timeout seconds).

`rq cron jobs.cron_config` reads this table; every job is idempotent, so two cron processes
running at once do no harm.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    func: str
    queue: str
    interval_seconds: int
    timeout_seconds: int = 300


CRON_TABLE: tuple[Periodic, ...] = (
    # The risk chain first: a page must never wait behind routine work.
    Periodic("jobs.periodic.escalate_risk", "risk", 60, 120),
    Periodic("jobs.periodic.dispatch_due_checkins", "default", 60, 600),
    Periodic("jobs.periodic.conversation_timers", "default", 300, 300),
    Periodic("jobs.periodic.contact_confirmations", "default", 900, 300),
    Periodic("jobs.periodic.propose_disengagement", "default", 3600, 600),
    Periodic("jobs.messaging.sweep_outbox", "sms", 60, 240),
    Periodic("jobs.messaging.reconcile_delivery", "default", 86400, 1800),
    Periodic("jobs.periodic.prune_portal_sign_in", "default", 86400, 600),
)
