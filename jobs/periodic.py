"""The periodic jobs run by `rq cron` (see jobs.schedule.CRON_TABLE).

Each opens its own unit of work, reads the clock once, calls one set-based service and commits.
All are safe to run twice at once: the services claim rows with compare-and-set updates and rely
on unique constraints, never on timing.
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from cocm import db
from cocm.clock import utcnow
from jobs.messaging import _ready

log = logging.getLogger(__name__)


def dispatch_due_checkins(limit: int = 5000) -> dict:
    """Start every check-in that is due now, inside the patient's allowed window."""
    from cocm.cadence.checkins import dispatch_due_checkins as dispatch

    _ready()
    with db.session_scope() as session:
        report = dispatch(session, utcnow(), limit=limit)
    summary = {k: v for k, v in asdict(report).items() if k != "conversation_ids"}
    log.info("due check-ins: %s", summary)
    return summary


def conversation_timers() -> dict:
    """Reminders after 4 quiet hours, expiry 24 hours after the last outbound text."""
    from cocm.cadence.timers import run_conversation_timers

    _ready()
    with db.session_scope() as session:
        report = run_conversation_timers(session, utcnow())
    return asdict(report)


def contact_confirmations() -> dict:
    """Confirmation requests two days before a contact, a reminder the day before."""
    from cocm.cadence.contacts import send_contact_confirmations

    _ready()
    with db.session_scope() as session:
        report = send_contact_confirmations(session, utcnow())
    return asdict(report)


def escalate_risk() -> int:
    """Page the next person for urgent items unacknowledged past the clinic's limit."""
    from cocm.risk.escalation import escalate_due

    _ready()
    with db.session_scope() as session:
        return escalate_due(session, utcnow())


def propose_disengagement() -> int:
    """Queue the disengaged close-out after the clinic's number of unanswered attempts."""
    from cocm.cadence.engagement import propose_disengagement as propose

    _ready()
    with db.session_scope() as session:
        return propose(session, utcnow())


def prune_portal_sign_in() -> int:
    """Daily: drop expired portal sign-in codes and rate-limit records too old to count."""
    from cocm.portal.codes import prune

    _ready()
    with db.session_scope() as session:
        return prune(session, utcnow())
