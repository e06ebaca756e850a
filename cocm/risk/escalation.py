"""Risk escalation (DESIGN 5 step 3): who is paged for an urgent item, and when.

Level 0 is the immediate notice: the assigned care manager during clinic hours, the on-call
person (escalation step 0) outside them. Each later level pages the escalation step of the same
position, one clinic limit (default 15 minutes) after the last, up to the last step (the clinic
lead). Acknowledging the item (claiming it) stops the chain. A ``Page`` row is unique per item and
level, so two workers or two cron processes never page twice for the same step.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocm import texts
from cocm.config import get_settings
from cocm.messaging.outbox import queue_message
from cocm.models import Clinic, EscalationStep, Page, Patient, QueueEvent, QueueItem, Staff


def in_clinic_hours(clinic: Clinic, now: datetime) -> bool:
    """True during the clinic's opening hours on an open weekday, in the clinic's time zone."""
    local = now.astimezone(ZoneInfo(clinic.timezone))
    open_days = {int(day) for day in clinic.open_weekdays.split(",") if day.strip()}
    return local.isoweekday() in open_days and clinic.hours_start <= local.time() < clinic.hours_end


def chain(session: Session, clinic_id: int) -> dict[int, Staff]:
    """The clinic's escalation chain by position (0 = on-call)."""
    rows = session.execute(
        select(EscalationStep.position, Staff)
        .join(Staff, Staff.id == EscalationStep.staff_id)
        .where(EscalationStep.clinic_id == clinic_id, Staff.is_active.is_(True))
    )
    return {position: staff for position, staff in rows}


def first_responder(session: Session, item: QueueItem, now: datetime) -> Staff | None:
    """Who gets the immediate notice: care manager in hours, on-call outside (and for drills)."""
    clinic = session.get(Clinic, item.clinic_id)
    steps = chain(session, clinic.id)
    if not item.is_drill and in_clinic_hours(clinic, now) and item.patient_id:
        patient = session.get(Patient, item.patient_id)
        if patient.care_manager_id:
            manager = session.get(Staff, patient.care_manager_id)
            if manager is not None and manager.is_active:
                return manager
    return steps.get(0) or steps.get(min(steps)) if steps else None


def page(session: Session, item: QueueItem, staff: Staff, level: int, now: datetime) -> Page | None:
    """Page ``staff`` about ``item`` at ``level``, once. Returns None if that level was paged."""
    try:
        with session.begin_nested():
            record = Page(
                queue_item_id=item.id,
                level=level,
                staff_id=staff.id,
                is_drill=item.is_drill,
                sent_at=now,
            )
            session.add(record)
            session.flush()
    except IntegrityError:
        return None
    link = f"{get_settings().public_base_url}/staff/queue/{item.id}"
    clinic = session.get(Clinic, item.clinic_id)
    if staff.phone:
        message = queue_message(
            session,
            clinic=clinic,
            staff=staff,
            kind="staff_page",
            body=texts.staff_page("en", link, drill=item.is_drill),
            now=now,
            urgent=True,
            dedupe_key=f"page:{item.id}:{level}",
        )
        record.message_id = message.id if message is not None else None
    session.add(
        QueueEvent(
            queue_item_id=item.id,
            kind="paged" if level else "notified",
            staff_id=staff.id,
            occurred_at=now,
            data={"level": level, "texted": bool(staff.phone), "drill": item.is_drill},
        )
    )
    session.flush()
    return record


def notify_first_responder(session: Session, item: QueueItem, now: datetime) -> Page | None:
    """The immediate notice for a new urgent item (level 0)."""
    staff = first_responder(session, item, now)
    return page(session, item, staff, 0, now) if staff is not None else None


def escalate_due(session: Session, now: datetime) -> int:
    """Page the next step for every urgent item unacknowledged past its deadline; return pages."""
    query = (
        select(QueueItem)
        .where(
            QueueItem.priority == "urgent",
            QueueItem.status == "open",
            QueueItem.acknowledged_at.is_(None),
            QueueItem.next_escalation_at.is_not(None),
            QueueItem.next_escalation_at <= now,
        )
        .order_by(QueueItem.next_escalation_at)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    sent = 0
    items = list(session.scalars(query))
    chains: dict[int, dict[int, Staff]] = {}
    for item in items:
        steps = chains.setdefault(item.clinic_id, chain(session, item.clinic_id))
        later = sorted(position for position in steps if position > item.escalation_level)
        if not later:
            item.next_escalation_at = None  # the whole chain, up to the clinic lead, was paged
            continue
        level = later[0]
        if page(session, item, steps[level], level, now) is not None:
            sent += 1
        item.escalation_level = level
        limit = timedelta(minutes=session.get(Clinic, item.clinic_id).escalation_minutes)
        item.next_escalation_at = now + limit if len(later) > 1 else None
    session.flush()
    return sent
