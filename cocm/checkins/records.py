"""Storing what a text conversation produces: answers, scores, and how it closed.

Shared by the check-in service (start, supersede, remind, expire) and the inbound pipeline, so a
conversation closes the same way whoever closes it: the answers given so far are always kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from cocm import instruments
from cocm.episodes import schedule
from cocm.models import (
    Assessment,
    AssessmentAnswer,
    Clinic,
    Conversation,
    Episode,
    Message,
    OutboxItem,
)
from cocm.models.enums import OPEN_EPISODE_STATUSES

# The engine's closed_reason -> Conversation.status; confirmations and reschedules just close.
_CLOSED_STATUS = {
    "completed": "completed",
    "superseded": "superseded",
    "expired": "expired",
    "opted_out": "opted_out",
}


def open_conversation(session: Session, patient_id: int, *, lock: bool = False):
    """The patient's one open conversation, or None. ``lock`` holds its row (PostgreSQL) so two
    texts arriving together are applied one after the other, never both to the same state."""
    query = select(Conversation).where(
        Conversation.patient_id == patient_id, Conversation.status == "open"
    )
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def open_episode(session: Session, patient_id: int) -> Episode | None:
    """The patient's open episode (at most one, enforced by the database)."""
    return session.scalar(
        select(Episode).where(
            Episode.patient_id == patient_id, Episode.status.in_(OPEN_EPISODE_STATUSES)
        )
    )


def cancel_pending(
    session: Session,
    now: datetime,
    *,
    conversation_id: int | None = None,
    patient_id: int | None = None,
) -> int:
    """Cancel proactive texts not yet sent, for one conversation or for one patient.

    The message is marked failed with error code "cancelled" so threads never show a text as
    still on its way. Returns how many were cancelled.
    """
    query = (
        select(OutboxItem)
        .join(Message, Message.id == OutboxItem.message_id)
        .where(OutboxItem.status == "pending", Message.direction == "outbound")
    )
    if conversation_id is not None:
        query = query.where(Message.conversation_id == conversation_id)
    if patient_id is not None:
        query = query.where(Message.patient_id == patient_id)
    items = list(session.scalars(query))
    for item in items:
        item.status = "cancelled"
        item.done_at = now
        item.last_error = "cancelled before sending"
    if items:
        session.execute(
            update(Message)
            .where(Message.id.in_([item.message_id for item in items]))
            .values(status="failed", error_code="cancelled", status_at=now)
            .execution_options(synchronize_session="fetch")
        )
    session.flush()
    return len(items)


def close_conversation(
    session: Session, conversation: Conversation, reason: str, now: datetime
) -> None:
    """Close ``conversation`` for ``reason`` (an engine closed_reason), keeping its answers.

    An unfinished check-in's assessment becomes "superseded" (a newer check-in replaced it) or
    "partial"; proactive texts of the conversation still waiting in the outbox are cancelled.
    """
    conversation.status = _CLOSED_STATUS.get(reason, "closed")
    conversation.closed_at = now
    conversation.closed_reason = reason
    if conversation.assessment_id is not None:
        assessment = session.get(Assessment, conversation.assessment_id)
        if assessment is not None and assessment.status == "in_progress":
            assessment.status = "superseded" if reason == "superseded" else "partial"
    cancel_pending(session, now, conversation_id=conversation.id)
    session.flush()


def store_answer(
    session: Session, assessment_id: int, item_number: int, value: int, now: datetime
) -> AssessmentAnswer:
    """Write one answer the moment it arrives (replacing an earlier one for the same item)."""
    answer = session.scalar(
        select(AssessmentAnswer).where(
            AssessmentAnswer.assessment_id == assessment_id,
            AssessmentAnswer.item_number == item_number,
        )
    )
    if answer is None:
        answer = AssessmentAnswer(assessment_id=assessment_id, item_number=item_number)
        session.add(answer)
    answer.value = value
    answer.answered_at = now
    session.flush()
    return answer


def complete_assessment(
    session: Session, assessment: Assessment, answers: Sequence[int | None], now: datetime
) -> Assessment:
    """Score a finished check-in, complete its assessment and move the measurement schedule.

    ``answers`` are the scored items in order. The next due date follows the episode's cadence
    (the after-response cadence once the episode has responded).
    """
    result = instruments.score(assessment.instrument, list(answers))
    if result.total is None:
        # Not every item answered (a stored state that lost an answer): keep it as partial.
        assessment.status = "partial"
        assessment.risk = assessment.risk or result.risk
        session.flush()
        return assessment
    assessment.status = "completed"
    assessment.total = result.total
    assessment.severity = result.severity
    assessment.risk = result.risk
    assessment.completed_at = now
    session.flush()
    if assessment.episode_id is not None:
        episode = session.get(Episode, assessment.episode_id)
        clinic = session.get(Clinic, episode.patient.clinic_id)
        schedule.after_measure(session, episode, clinic, assessment.instrument, now)
    return assessment
