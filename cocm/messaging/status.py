"""Delivery statuses: their order, and applying Twilio's status callbacks.

A message's status only ever moves to a higher rank:

    received 0 (inbound only)
    queued 1  <  sending 2  <  sent 3  <  failed 4 = undelivered 4  <  delivered 5  <  read 6

Why this order:
- Twilio's callbacks can arrive out of order, so a late "sent" (or "queued") never overwrites
  "delivered" or "failed".
- "delivered" outranks failed/undelivered: a handset's delivery receipt is the truth even when a
  carrier reported a failure first (carriers retry), and a late failure report after a delivery
  receipt is ignored.
- failed and undelivered share a rank: the first failure report stands, later ones are ignored.
- "read" (channels with read receipts) comes after delivered.
Twilio statuses outside our list are mapped: accepted and scheduled -> queued, canceled -> failed,
partially_delivered -> delivered; receiving/received and unknown words are ignored.

A failure that arrives by callback:
- with a number-problem code (21610, 21211, 21614, 21612, 30004-30007): the patient's number is
  flagged and a ``delivery_failure`` queue item opened, as when the API refuses the send;
- with 30001 (queue overflow) or 30022 (10DLC rate limit): the text never left Twilio, so sending
  it again cannot duplicate it. If it came from the outbox and has attempts left, the outbox row
  goes back to pending with the usual backoff, and the message back to "queued" with its old sid
  cleared (callbacks for the old attempt then match nothing). This is the one deliberate step
  backwards, because it starts a new attempt;
- with 30003 (unreachable handset) or 30008 (unknown error): recorded, not resent. The carrier has
  already retried, and a resend could arrive twice or out of date; a check-in that is not answered
  expires and shows on the registry, and an unacknowledged risk page escalates on its own;
- any other code: recorded only.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.messaging.errors import NUMBER_PROBLEM_CODES, normalize_code
from cocm.messaging.failures import record_failure
from cocm.messaging.retry import MAX_ATTEMPTS, backoff_delay
from cocm.models import Message, OutboxItem

log = logging.getLogger(__name__)

RANK = {
    "received": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "failed": 4,
    "undelivered": 4,
    "delivered": 5,
    "read": 6,
}
PROVIDER_STATUS = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "sending",
    "sent": "sent",
    "failed": "failed",
    "canceled": "failed",
    "undelivered": "undelivered",
    "delivered": "delivered",
    "partially_delivered": "delivered",
    "read": "read",
}
FAILURES = ("failed", "undelivered")
RESEND_CODES = frozenset({"30001", "30022"})


def normalize(provider_status: str | None) -> str | None:
    """Our status for a provider's status word, or None if it means nothing for outbound texts."""
    return PROVIDER_STATUS.get((provider_status or "").strip().lower())


def rank(status: str | None) -> int:
    return RANK.get(status or "", -1)


def later(current: str | None, new: str) -> str:
    """Whichever of two statuses is further along (``current`` on a tie)."""
    return new if rank(new) > rank(current) else current or new


def apply_status(
    session: Session,
    message_sid: str,
    status: str,
    error_code: str | int | None,
    now: datetime,
) -> Message | None:
    """Apply one status report for ``message_sid``; return the message, or None if unknown.

    Idempotent: a replayed or late callback changes nothing. Only flushes.
    """
    if not message_sid:
        return None
    # FOR UPDATE on PostgreSQL: two callbacks for one message apply one after the other.
    message = session.scalar(
        select(Message)
        .where(Message.twilio_sid == message_sid)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if message is None or message.direction != "outbound":
        return message
    new = normalize(status)
    if new is None:
        log.info("ignored status %r for message %s", status, message.id)
        return message
    if rank(new) <= rank(message.status):
        return message
    code = normalize_code(error_code)
    message.status = new
    message.status_at = now
    if new in FAILURES:
        message.error_code = code
        _after_failure(session, message, code, now)
    session.flush()
    return message


def _after_failure(session: Session, message: Message, code: str | None, now: datetime) -> None:
    if code in RESEND_CODES:
        item = session.scalar(select(OutboxItem).where(OutboxItem.message_id == message.id))
        if item is not None and item.status == "done":
            if item.attempts < MAX_ATTEMPTS:
                _resend(item, message, code, now)
            else:
                item.status = "failed"
                record_failure(session, message, code, now, gave_up_after=item.attempts)
            return
    if code in NUMBER_PROBLEM_CODES:
        record_failure(session, message, code, now)
    else:
        log.info("message %s %s with error %s (not resent)", message.id, message.status, code)


def _resend(item: OutboxItem, message: Message, code: str, now: datetime) -> None:
    item.status = "pending"
    item.not_before = now + backoff_delay(item.attempts)
    item.enqueued_at = None
    item.done_at = None
    item.last_error = f"{code}: reported by status callback for {message.twilio_sid}"[:255]
    message.status = "queued"
    message.twilio_sid = None
    message.status_at = now
