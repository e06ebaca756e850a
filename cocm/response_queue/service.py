"""Opening, claiming, noting and closing queue items, each step recorded as a QueueEvent."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.models import Clinic, QueueEvent, QueueItem, Staff
from cocm.models.enums import QUEUE_KINDS, URGENT_OUTCOMES

URGENT_KINDS = ("risk_answer", "risk_words", "drill")


class QueueError(ValueError):
    """A queue action is not allowed; the message is safe to show to staff."""


def open_item(
    session: Session,
    *,
    clinic_id: int,
    patient_id: int | None,
    kind: str,
    reason: str,
    now: datetime,
    priority: str | None = None,
    dedupe_key: str | None = None,
    message_id: int | None = None,
    assessment_id: int | None = None,
    is_drill: bool = False,
) -> QueueItem:
    """Open a queue item, or return the open one with the same ``dedupe_key``.

    Risk kinds are urgent; urgent items get an escalation deadline from the clinic's limit.
    """
    if kind not in QUEUE_KINDS:
        raise QueueError(f"unknown queue item kind {kind!r}")
    if dedupe_key:
        existing = session.scalar(select(QueueItem).where(QueueItem.dedupe_key == dedupe_key))
        if existing is not None:
            return existing
    priority = priority or ("urgent" if kind in URGENT_KINDS else "normal")
    item = QueueItem(
        clinic_id=clinic_id,
        patient_id=patient_id,
        kind=kind,
        priority=priority,
        status="open",
        reason=reason[:255],
        dedupe_key=dedupe_key,
        message_id=message_id,
        assessment_id=assessment_id,
        is_drill=is_drill,
        opened_at=now,
        escalation_level=0,
    )
    if priority == "urgent":
        clinic = session.get(Clinic, clinic_id)
        item.next_escalation_at = now + timedelta(minutes=clinic.escalation_minutes)
    session.add(item)
    session.flush()
    _event(session, item, "opened", now, data={"kind": kind, "priority": priority})
    return item


def claim(session: Session, item: QueueItem, staff: Staff, now: datetime) -> QueueItem:
    """Claim an item; for an urgent item the first claim is its acknowledgement."""
    if item.status == "closed":
        raise QueueError("This item is already closed.")
    if item.status == "claimed" and item.claimed_by_id not in (None, staff.id):
        raise QueueError("Someone else has claimed this item.")
    item.status = "claimed"
    item.claimed_by_id = staff.id
    item.claimed_at = item.claimed_at or now
    if item.acknowledged_at is None:
        item.acknowledged_at = now
        item.next_escalation_at = None  # acknowledging stops the escalation chain
    _event(session, item, "claimed", now, staff_id=staff.id)
    session.flush()
    return item


def release(session: Session, item: QueueItem, staff: Staff, now: datetime) -> QueueItem:
    """Give a claimed item back to the team (it stays acknowledged)."""
    if item.status != "claimed":
        raise QueueError("Only a claimed item can be released.")
    item.status = "open"
    item.claimed_by_id = None
    _event(session, item, "released", now, staff_id=staff.id)
    session.flush()
    return item


def add_note(
    session: Session, item: QueueItem, staff: Staff, note: str, now: datetime
) -> QueueEvent:
    note = (note or "").strip()
    if not note:
        raise QueueError("Write a note before saving.")
    event = _event(session, item, "note", now, staff_id=staff.id, note=note)
    session.flush()
    return event


def close(
    session: Session,
    item: QueueItem,
    staff: Staff,
    now: datetime,
    *,
    note: str,
    outcome: str | None = None,
    next_step: str | None = None,
) -> QueueItem:
    """Close an item. Urgent items need a structured outcome and a note (DESIGN 5.4);
    'unable to reach' also needs the next step."""
    if item.status == "closed":
        return item  # a form posted twice closes once
    note = (note or "").strip()
    if item.priority == "urgent":
        if outcome not in URGENT_OUTCOMES:
            raise QueueError("Choose the outcome of the risk follow-up before closing.")
        if not note:
            raise QueueError("Write a note describing the follow-up before closing.")
        if outcome == "unable_to_reach" and not (next_step or "").strip():
            raise QueueError("When the patient could not be reached, say what happens next.")
    elif not note:
        raise QueueError("Write a short note before closing.")
    if item.acknowledged_at is None:
        item.acknowledged_at = now
    item.status = "closed"
    item.closed_by_id = staff.id
    item.closed_at = now
    item.outcome = outcome
    item.outcome_note = note
    item.next_step = (next_step or "").strip() or None
    item.next_escalation_at = None
    item.dedupe_key = None  # the same cause may open a fresh item later
    _event(session, item, "closed", now, staff_id=staff.id, note=note, data={"outcome": outcome})
    session.flush()
    return item


def _event(session, item, kind, now, *, staff_id=None, note=None, data=None) -> QueueEvent:
    event = QueueEvent(
        queue_item_id=item.id, kind=kind, staff_id=staff_id, note=note, data=data, occurred_at=now
    )
    session.add(event)
    return event
