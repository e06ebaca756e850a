"""Delivering one outbox row: re-check, claim, send, record. Safe to run any number of times.

``deliver(session, outbox_id, now, sender)`` returns what happened (one of the ``OUTCOMES``).
It re-checks everything at send time, because a row may wait minutes or hours:

- done, failed or cancelled already: nothing to do;
- another worker holds it ("sending" with an unexpired lease): nothing to do;
- ``not_before`` still ahead: left for later (the sweeper picks it up when due);
- a patient who has opted out since, whose number is flagged, or who has no number: cancelled;
- a patient message outside the allowed window in the patient's zone (``patient.zone``, the
  clinic's ``window_for``): ``not_before`` moves to the next opening. Staff pages ignore the
  window, and so do replies and codes the patient asked for (``WINDOW_EXEMPT_KINDS``);
- the number is the patient's (or staff member's) current one, not the one at queue time.

Exactly-once, and where it ends. ``deliver`` claims the row (status "sending", attempts + 1, a
lease in ``locked_until``) and commits *before* calling the sender, then records the outcome in a
second commit. The row is read ``FOR UPDATE`` (PostgreSQL) and the claim is a compare-and-set
UPDATE on the status and attempt count it read, so two jobs, a job and the sweeper, or a replayed
job never send the same row at once: the loser sees "sending" or "done" and stops.
A text can go out twice in one case only: the provider accepted it but its outcome was never
recorded, because the process died (or the database refused the second commit) between Twilio's
answer and that commit, or because the HTTP call timed out after Twilio had already accepted the
message. The row then stays "sending" (a timeout puts it back to "pending" with backoff), and
after the lease (``LEASE``, 5 minutes) the sweeper sends it again. That window is at most the
HTTP timeout (``TWILIO_TIMEOUT_SECONDS``) plus one commit per message. We accept it rather than
never resending an unconfirmed claim, which could lose a risk notice; Twilio's Messages API has no
idempotency key that would close it. A crash before the request leaves the machine resends safely.

A send costs four statements and the two commits: one SELECT of the row with its message, patient
and clinics (``FOR UPDATE OF outbox``), the claim, then the two UPDATEs that record the answer.
The rarer outcomes (cancel, defer, failure, retry) go through the ORM as before.

``deliver`` commits ``session`` (twice for a send): pass a session that holds no other work.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from cocm.config import get_settings
from cocm.messaging import delivery_rows
from cocm.messaging.errors import PermanentSendError, SendError, TransientSendError
from cocm.messaging.failures import record_failure
from cocm.messaging.interface import SendResult, SmsSender
from cocm.messaging.retry import MAX_ATTEMPTS, backoff_delay
from cocm.messaging.status import later, normalize
from cocm.messaging.twilio_sender import status_callback_url
from cocm.messaging.window import clamp_window, in_window, next_allowed
from cocm.models import Message, OutboxItem

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)

SENT = "sent"
RETRY = "retry"
FAILED = "failed"
CANCELLED = "cancelled"
DEFERRED = "deferred"  # outside the texting window; not_before moved to the next opening
NOT_DUE = "not_due"
BUSY = "busy"
MISSING = "missing"
SUPERSEDED = "superseded"  # the row changed while we were sending (lease expired, cancelled)
OUTCOMES = (
    SENT,
    RETRY,
    FAILED,
    CANCELLED,
    DEFERRED,
    NOT_DUE,
    BUSY,
    MISSING,
    SUPERSEDED,
    "already_done",
    "already_failed",
    "already_cancelled",
)

# Replies to a patient's own text and codes the patient asked for go at once, at any hour
# (DESIGN 6: "Replies to a patient's own text go at once"); everything else waits for the window.
WINDOW_EXEMPT_KINDS = frozenset(
    {
        "safety_reply",
        "help",
        "optout_confirm",
        "optin_confirm",
        "checkin_complete",
        "next_item",
        "reask",
        "contact_confirmed",
        "contact_reask",
        "contact_reschedule_ack",
        "needs_person_ack",
        "no_open_conversation",
        "unknown_number",
        "portal_code",
    }
)
# The confirmation of a STOP, and HELP answers, still go to an opted-out patient.
OPT_OUT_EXEMPT_KINDS = frozenset({"optout_confirm", "help"})


@dataclass(frozen=True)
class _Outgoing:
    to: str
    body: str
    from_number: str | None
    messaging_service_sid: str | None
    attempt: int


def deliver(
    session: Session,
    outbox_id: int,
    now: datetime,
    sender: SmsSender,
    *,
    status_callback: str | None = None,
) -> str:
    """Deliver outbox row ``outbox_id`` if it is due and still wanted; return the outcome.

    ``status_callback`` defaults to ``PUBLIC_BASE_URL`` + ``/twilio/status``.
    """
    # FOR UPDATE (PostgreSQL; SQLite has one writer at a time) and *waiting*, not SKIP LOCKED:
    # nobody holds this row's lock across a send, only for a few statements (a claim, a
    # record, the sweeper, the hook writing enqueued_at), and skipping would drop this job with
    # nobody to retry it until the sweeper's staleness limit. Core rows, not ORM objects: a
    # long-lived session must not decide on what it read earlier, and the ORM's identity map
    # and flush cost more than the statements themselves.
    row = session.execute(delivery_rows.LOOK, {"outbox_id": outbox_id}).one_or_none()
    if row is None:
        session.commit()
        return MISSING
    outcome = _recheck(session, outbox_id, row, now)
    if outcome is not None:
        session.commit()
        return outcome
    outgoing = _claim(session, outbox_id, row, now)
    session.commit()
    if outgoing is None:
        return BUSY

    callback = status_callback or status_callback_url(get_settings().public_base_url)
    try:
        result: SendResult | SendError = sender.send(
            outgoing.to,
            outgoing.body,
            from_number=outgoing.from_number,
            messaging_service_sid=outgoing.messaging_service_sid,
            status_callback=callback,
        )
    except SendError as exc:
        result = exc
    except Exception as exc:  # noqa: BLE001 - a sender bug must not leave the row in limbo
        log.error("sender %s raised %s for outbox %s", sender.name, type(exc).__name__, outbox_id)
        result = TransientSendError("internal", type(exc).__name__)
    return _record(session, outbox_id, row, outgoing.attempt, result, now)


def _recheck(session: Session, outbox_id: int, row: Row, now: datetime) -> str | None:
    """None when the row should be sent now; otherwise the outcome (changes are flushed)."""
    if row.status in ("done", "failed", "cancelled"):
        return f"already_{row.status}"
    if row.status == "sending" and row.locked_until is not None and row.locked_until > now:
        return BUSY
    if row.not_before > now:
        # The sweeper takes it once due.
        delivery_rows.write(session, OutboxItem, outbox_id, enqueued_at=None)
        return NOT_DUE
    if row.patient_id is not None:
        if row.sms_opted_out and row.kind not in OPT_OUT_EXEMPT_KINDS:
            return _cancel(session, outbox_id, row, "opted_out", now)
        if row.phone_problem:
            return _cancel(session, outbox_id, row, "phone_problem", now)
        if not row.phone_e164:
            return _cancel(session, outbox_id, row, "no_number", now)
        if row.kind not in WINDOW_EXEMPT_KINDS:
            start, end = clamp_window(row.text_window_start, row.text_window_end)
            if not in_window(now, row.zone, start, end):
                delivery_rows.set_message(session, row, to_number=row.phone_e164)
                delivery_rows.write(
                    session,
                    OutboxItem,
                    outbox_id,
                    status="pending",
                    locked_until=None,
                    enqueued_at=None,
                    not_before=next_allowed(now, row.zone, start, end),
                )
                return DEFERRED
    elif not row.staff_phone:
        item = session.get(OutboxItem, outbox_id, populate_existing=True)
        message = session.get(Message, row.message_id, populate_existing=True)
        _fail(session, item, message, "no_number", "no phone number on file", now)
        return FAILED
    return None


def _claim(session: Session, outbox_id: int, row: Row, now: datetime) -> _Outgoing | None:
    """Take the row for this attempt (compare-and-set); None if someone else just did.

    The number is the patient's (or staff member's) current one, the sender the clinic's
    current number, both written on the message with the claim."""
    to = row.phone_e164 if row.patient_id is not None else row.staff_phone
    from_number = row.sms_number or row.from_number
    attempt = row.attempts + 1
    if not delivery_rows.write(
        session,
        OutboxItem,
        outbox_id,
        OutboxItem.status == row.status,
        OutboxItem.attempts == row.attempts,
        status="sending",
        attempts=attempt,
        locked_until=now + LEASE,
    ):
        return None
    delivery_rows.set_message(session, row, to_number=to, from_number=from_number)
    return _Outgoing(
        to=to,
        body=row.body,
        from_number=from_number,
        messaging_service_sid=row.messaging_service_sid,
        attempt=attempt,
    )


def _record(
    session: Session,
    outbox_id: int,
    row: Row,
    attempt: int,
    result: SendResult | SendError,
    now: datetime,
) -> str:
    """Write down what the sender said, in the second commit."""
    if isinstance(result, SendResult):
        return _record_sent(session, outbox_id, row, attempt, result, now)
    item = session.scalar(
        select(OutboxItem)
        .where(OutboxItem.id == outbox_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    message = (
        session.get(Message, item.message_id, populate_existing=True) if item is not None else None
    )
    if item is None or item.status != "sending" or item.attempts != attempt:
        log.warning("outbox %s changed while attempt %s was failing", outbox_id, attempt)
        session.commit()
        return SUPERSEDED
    if isinstance(result, PermanentSendError):
        _fail(session, item, message, result.code, result.summary, now)
        session.commit()
        return FAILED
    item.last_error = result.summary
    item.locked_until = None
    if item.attempts >= MAX_ATTEMPTS:
        _fail(session, item, message, result.code, result.summary, now, gave_up=True)
        session.commit()
        return FAILED
    item.status = "pending"
    item.enqueued_at = None
    item.not_before = now + backoff_delay(item.attempts)
    session.commit()
    log.info("outbox %s attempt %s failed (%s); retrying", outbox_id, attempt, result.code)
    return RETRY


def _record_sent(
    session: Session, outbox_id: int, row: Row, attempt: int, result: SendResult, now: datetime
) -> str:
    """The provider took it: the row is done if this attempt still holds it (compare-and-set on
    status and attempt, the row's lock taken first as everywhere), and the message gets the
    provider's sid unless it already has one."""
    ours = delivery_rows.write(
        session,
        OutboxItem,
        outbox_id,
        OutboxItem.status == "sending",
        OutboxItem.attempts == attempt,
        status="done",
        done_at=now,
        locked_until=None,
        last_error=None,
    )
    # The message's status as read before the send; if it moved since, decide on the new one.
    status = later(row.message_status, _accepted(result.status))
    recorded = delivery_rows.write(
        session,
        Message,
        row.message_id,
        Message.twilio_sid.is_(None),
        Message.status == row.message_status,
        twilio_sid=result.sid,
        status=status,
        status_at=now,
        error_code=None,
    )
    if not recorded:
        message = session.get(Message, row.message_id, populate_existing=True)
        if message is not None and message.twilio_sid is None:
            message.twilio_sid = result.sid
            message.status = later(message.status, _accepted(result.status))
            message.status_at = now
            message.error_code = None
    if not ours:
        log.warning("outbox %s changed while attempt %s was sending", outbox_id, attempt)
    session.commit()
    return SENT if ours else SUPERSEDED


def _accepted(provider_status: str) -> str:
    """A send the provider accepted counts as "sent" (whatever queue word it answered)."""
    return later("sent", normalize(provider_status) or "sent")


def _cancel(session: Session, outbox_id: int, row: Row, why: str, now: datetime) -> str:
    delivery_rows.write(
        session,
        OutboxItem,
        outbox_id,
        status="cancelled",
        done_at=now,
        locked_until=None,
        last_error=why,
    )
    # Messages have no "cancelled" status: a text that will never go is "failed" with the reason.
    delivery_rows.write(
        session, Message, row.message_id, status="failed", error_code=why, status_at=now
    )
    return CANCELLED


def _fail(
    session: Session,
    item: OutboxItem,
    message: Message,
    code: str | None,
    summary: str,
    now: datetime,
    *,
    gave_up: bool = False,
) -> None:
    item.status = "failed"
    item.done_at = now
    item.locked_until = None
    item.last_error = summary[:255]
    message.status = "failed"
    message.error_code = code
    message.status_at = now
    record_failure(session, message, code, now, gave_up_after=item.attempts if gave_up else None)
    log.warning("outbox %s failed for good (%s)", item.id, code or "no code")
