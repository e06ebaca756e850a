"""Disengagement: after the clinic's number of unanswered outreach attempts, propose the
disengaged close-out to the care team as a queue item."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from cocm.models import Clinic, Contact, Episode, Message, Patient, QueueItem
from cocm.models.enums import OPEN_EPISODE_STATUSES
from cocm.response_queue import open_item

UNANSWERED = ("no_answer", "left_message")


def propose_disengagement(session: Session, now: datetime) -> int:
    """Open a disengagement item for every open episode whose unanswered outreach attempts since
    the patient was last heard from (reached by a contact, or a text from them) — and since the
    last disengagement item was closed — reach the clinic's limit. Returns items opened."""
    last_reached = (
        select(Contact.patient_id, func.max(Contact.occurred_at).label("at"))
        .where(Contact.outcome == "reached")
        .group_by(Contact.patient_id)
        .subquery()
    )
    last_inbound = (
        select(Message.patient_id, func.max(Message.created_at).label("at"))
        .where(Message.direction == "inbound", Message.patient_id.is_not(None))
        .group_by(Message.patient_id)
        .subquery()
    )
    last_closed = (
        select(QueueItem.patient_id, func.max(QueueItem.closed_at).label("at"))
        .where(QueueItem.kind == "disengagement", QueueItem.status == "closed")
        .group_by(QueueItem.patient_id)
        .subquery()
    )
    heard_from = func.max(
        func.coalesce(last_reached.c.at, Episode.created_at),
        func.coalesce(last_inbound.c.at, Episode.created_at),
        func.coalesce(last_closed.c.at, Episode.created_at),
    )
    if session.get_bind().dialect.name == "postgresql":
        heard_from = func.greatest(
            func.coalesce(last_reached.c.at, Episode.created_at),
            func.coalesce(last_inbound.c.at, Episode.created_at),
            func.coalesce(last_closed.c.at, Episode.created_at),
        )
    attempts = func.sum(case((Contact.occurred_at > heard_from, 1), else_=0))
    rows = session.execute(
        select(Episode.id, Patient.id, Patient.clinic_id, attempts, Clinic.disengage_after_attempts)
        .join(Patient, Patient.id == Episode.patient_id)
        .join(Clinic, Clinic.id == Patient.clinic_id)
        .join(Contact, (Contact.patient_id == Patient.id) & Contact.outcome.in_(UNANSWERED))
        .outerjoin(last_reached, last_reached.c.patient_id == Patient.id)
        .outerjoin(last_inbound, last_inbound.c.patient_id == Patient.id)
        .outerjoin(last_closed, last_closed.c.patient_id == Patient.id)
        .where(Episode.status.in_(OPEN_EPISODE_STATUSES))
        .group_by(Episode.id, Patient.id, Patient.clinic_id, Clinic.disengage_after_attempts)
    ).all()
    opened = 0
    for episode_id, patient_id, clinic_id, count, limit in rows:
        if (count or 0) < limit:
            continue
        key = f"disengagement:episode:{episode_id}"
        if session.scalar(select(QueueItem.id).where(QueueItem.dedupe_key == key)):
            continue
        open_item(
            session,
            clinic_id=clinic_id,
            patient_id=patient_id,
            kind="disengagement",
            reason=f"{count} unanswered outreach attempts: consider the disengaged close-out",
            now=now,
            dedupe_key=key,
        )
        opened += 1
    session.flush()
    return opened
