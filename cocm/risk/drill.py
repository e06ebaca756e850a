"""Risk drills: rehearse the after-hours escalation chain end to end, clearly marked.

A drill is an urgent queue item with ``is_drill`` set and no patient. It pages the on-call person
at once and escalates like a real item (pages say DRILL); reports of real risk events leave
drills out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cocm.models import QueueItem, Staff
from cocm.response_queue import open_item
from cocm.risk.escalation import notify_first_responder


def start_drill(session: Session, clinic_id: int, started_by: Staff, now: datetime) -> QueueItem:
    """Open a drill item and send its first page; the escalation job carries it on."""
    item = open_item(
        session,
        clinic_id=clinic_id,
        patient_id=None,
        kind="drill",
        priority="urgent",
        reason=f"DRILL started by {started_by.full_name}: rehearse the risk escalation chain",
        now=now,
        is_drill=True,
    )
    notify_first_responder(session, item, now)
    return item
