"""Conversation reminders (4 hours) and expiry (24 hours), found with one query each run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from cocm.checkins.service import expire_conversation, remind_conversation
from cocm.conversation import EXPIRE_AFTER, REMIND_AFTER
from cocm.models import Conversation


@dataclass
class TimerReport:
    reminded: int = 0
    expired: int = 0


def run_conversation_timers(session: Session, now: datetime) -> TimerReport:
    """Remind or expire every open conversation whose clock has run; idempotent."""
    report = TimerReport()
    candidates = session.scalars(
        select(Conversation.id).where(
            Conversation.status == "open",
            Conversation.last_outbound_at <= now - REMIND_AFTER,
            or_(
                Conversation.reminded_at.is_(None),
                Conversation.last_outbound_at <= now - EXPIRE_AFTER,
            ),
        )
    ).all()
    for conversation_id in candidates:
        if expire_conversation(session, conversation_id, now):
            report.expired += 1
        elif remind_conversation(session, conversation_id, now) is not None:
            report.reminded += 1
    session.flush()
    return report
