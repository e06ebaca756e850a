"""The daily check on texts whose final status never came back."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocm.messaging.errors import SendError
from cocm.messaging.interface import SmsSender
from cocm.messaging.status import apply_status
from cocm.models import Message

log = logging.getLogger(__name__)

STUCK_AFTER = timedelta(hours=24)
GIVE_UP_AFTER = timedelta(days=7)


@dataclass
class ReconcileReport:
    checked: int = 0
    updated: int = 0
    unknown: int = 0
    errors: int = 0


def reconcile(
    session: Session, now: datetime, sender: SmsSender, *, limit: int = 1000
) -> ReconcileReport:
    """Ask the provider about outbound texts still "sent" 24 hours (up to 7 days) after sending.

    Twilio answers with the message's current status, applied through ``apply_status`` (so the
    usual ranks, flags and queue items follow). A lost callback, or one that arrived before the
    send was recorded, is healed this way. Senders that cannot tell (console, recording without
    a scripted status) answer None: the text keeps "sent", counted as ``unknown``; the console's
    simulator has no delivery reports to wait for. After 7 days a text is no longer asked about.
    Only flushes.
    """
    sent_at = func.coalesce(Message.status_at, Message.created_at)
    stuck = session.scalars(
        select(Message)
        .where(
            Message.direction == "outbound",
            Message.status == "sent",
            Message.twilio_sid.is_not(None),
            sent_at < now - STUCK_AFTER,
            sent_at >= now - GIVE_UP_AFTER,
        )
        .order_by(Message.id)
        .limit(limit)
    ).all()
    report = ReconcileReport()
    for message in stuck:
        report.checked += 1
        try:
            result = sender.fetch_status(message.twilio_sid)
        except SendError as exc:
            report.errors += 1
            log.warning("status of message %s not fetched: %s", message.id, exc.code)
            continue
        if result is None:
            report.unknown += 1
            continue
        before = message.status
        apply_status(session, message.twilio_sid, result.status, result.error_code, now)
        if message.status != before:
            report.updated += 1
    session.flush()
    return report
