"""The risk protocol's first steps (DESIGN section 5, steps 1-3), within the request that
received the signal.

An urgent queue item is opened and someone is told at once: the assigned care manager during
clinic hours, the on-call person outside them (``cocm.risk.escalation`` decides who and sends
the level-0 page). The page is an urgent outbox row, delivered straight after the commit in
the same process, so nothing here waits on Redis. Pages carry no PHI, only a link.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.models import Clinic, Patient, QueueEvent, QueueItem, Staff
from cocm.response_queue import open_item
from cocm.risk import escalation

log = logging.getLogger(__name__)

RISK_KINDS = ("risk_answer", "risk_words")


def dedupe_key(message_id: int | None, assessment_id: int | None) -> str | None:
    """One urgent item per assessment (item 9) or per inbound message (risk words)."""
    if assessment_id is not None:
        return f"risk:assessment:{assessment_id}"
    if message_id is not None:
        return f"risk:message:{message_id}"
    return None


def raise_risk(
    session: Session,
    *,
    patient: Patient | None,
    kind: str,
    reason: str,
    now: datetime,
    message_id: int | None = None,
    assessment_id: int | None = None,
    clinic: Clinic | None = None,
) -> QueueItem:
    """Open an urgent queue item for a risk signal and notify the first responder at once.

    ``kind`` is "risk_answer" (PHQ-9 item 9 above 0) or "risk_words" (a risk phrase in a text).
    ``patient`` is None for a text from an unknown number; ``clinic`` then names the clinic
    (otherwise the patient's). The same message or assessment never opens two items: a repeat
    returns the first item and notifies nobody again. When no one is set up to be notified the
    item still opens (the queue shows it) and an event records that nobody was paged.
    """
    if kind not in RISK_KINDS:
        raise ValueError(f"unknown risk kind {kind!r}; expected one of {', '.join(RISK_KINDS)}")
    clinic = clinic or (patient.clinic if patient is not None else None)
    if clinic is None:
        raise ValueError("a risk signal needs a patient or a clinic")
    key = dedupe_key(message_id, assessment_id)
    if key is not None:
        existing = session.scalar(select(QueueItem).where(QueueItem.dedupe_key == key))
        if existing is not None:
            return existing
    item = open_item(
        session,
        clinic_id=clinic.id,
        patient_id=patient.id if patient is not None else None,
        kind=kind,
        reason=reason,
        now=now,
        priority="urgent",
        dedupe_key=key,
        message_id=message_id,
        assessment_id=assessment_id,
    )
    page = escalation.notify_first_responder(session, item, now)
    if page is None:
        manager = _care_manager(session, patient)
        if manager is not None:
            # No on-call chain is set up: the care manager is still better than nobody.
            page = escalation.page(session, item, manager, 0, now)
    if page is None:
        log.warning("urgent queue item %s opened but nobody could be notified", item.id)
        session.add(
            QueueEvent(
                queue_item_id=item.id,
                kind="notified",
                occurred_at=now,
                data={"level": 0, "texted": False, "nobody": True},
            )
        )
    session.flush()
    return item


def _care_manager(session: Session, patient: Patient | None) -> Staff | None:
    if patient is None or patient.care_manager_id is None:
        return None
    manager = session.get(Staff, patient.care_manager_id)
    return manager if manager is not None and manager.is_active else None
