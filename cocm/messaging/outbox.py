"""Writing proactive messages: an outbound Message and its OutboxItem in the caller's transaction.

Delivery happens after the commit (see ``cocm.messaging.dispatch``), never inside it, so a rolled
back change never sends a text. Each OutboxItem id written in a session is remembered in
``session.info`` for the after-commit hook, which importing this module installs on
``cocm.db.session_factory``: any process that can queue a message has the hook.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.messaging import dispatch
from cocm.messaging.keys import PENDING_KEY, URGENT_KEY
from cocm.models import Clinic, Message, OutboxItem, Patient, Staff
from cocm.texts import segments

__all__ = ["PENDING_KEY", "URGENT_KEY", "queue_message"]

# Installed here, not at each entry point, so that no process (web, worker, cron, command, test)
# can write an outbox row without the hook that delivers it after the commit.
dispatch.install()


def queue_message(
    session: Session,
    *,
    clinic: Clinic,
    kind: str,
    body: str,
    now: datetime,
    patient: Patient | None = None,
    staff: Staff | None = None,
    not_before: datetime | None = None,
    conversation_id: int | None = None,
    dedupe_key: str | None = None,
    urgent: bool = False,
) -> Message | None:
    """Write one outbound text to the outbox; return None if ``dedupe_key`` was already used.

    ``not_before`` is when it may go (the caller applies the patient's texting window for
    proactive messages). ``urgent`` messages (risk notices to staff) are delivered straight after
    the commit in the same process, never waiting on a queue.
    """
    if (patient is None) == (staff is None):
        raise ValueError("a message goes to exactly one patient or one staff member")
    if dedupe_key and session.scalar(
        select(OutboxItem.id).where(OutboxItem.dedupe_key == dedupe_key)
    ):
        return None
    to_number = patient.phone_e164 if patient is not None else staff.phone
    message = Message(
        direction="outbound",
        patient_id=patient.id if patient is not None else None,
        staff_id=staff.id if staff is not None else None,
        clinic_id=clinic.id,
        conversation_id=conversation_id,
        kind=kind,
        body=body,
        from_number=clinic.sms_number,
        to_number=to_number,
        status="queued",
        segments=segments(body),
        created_at=now,
    )
    session.add(message)
    session.flush()
    item = OutboxItem(
        message_id=message.id,
        dedupe_key=dedupe_key,
        status="pending",
        not_before=not_before or now,
        created_at=now,
    )
    session.add(item)
    session.flush()
    session.info.setdefault(URGENT_KEY if urgent else PENDING_KEY, []).append(item.id)
    return message
