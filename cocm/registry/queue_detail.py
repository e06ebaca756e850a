"""One queue item with everything needed to act on it: its history, the text or answers that
opened it, and the patient's recent texts and scores. A fixed handful of statements."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from cocm import instruments
from cocm.models import Assessment, Message, QueueEvent, Staff
from cocm.registry.queue import MessageLine, QueueRow, queue_rows

DETAIL_MESSAGES = 10


@dataclass(frozen=True)
class EventLine:
    kind: str
    staff: str | None
    note: str | None
    data: dict | None
    occurred_at: datetime


@dataclass(frozen=True)
class AnswerLine:
    number: int
    text: str
    value: int | None
    label: str | None


@dataclass
class QueueDetail:
    row: QueueRow
    events: list[EventLine] = field(default_factory=list)
    trigger: MessageLine | None = None
    instrument: str | None = None
    total: int | None = None
    answers: list[AnswerLine] = field(default_factory=list)


def answer_lines(instrument: str, answers: list[int | None], language: str = "en"):
    """Item texts with the answer given (None where unanswered), in item order."""
    form = instruments.get(instrument)
    lines = []
    for item, value in zip(form.items, answers, strict=False):
        if not item.scored and value is None:
            continue  # PHQ-9 item 10 is optional and unscored: no row when skipped
        label = item.option_for(value).label.get(language) if value is not None else None
        lines.append(AnswerLine(item.number, item.text.get(language, ""), value, label))
    return lines


def queue_item_detail(
    session: Session, item_id: int, clinic_ids: Collection[int], now: datetime
) -> QueueDetail | None:
    """The item if it belongs to one of ``clinic_ids``, else None (the caller answers 404)."""
    rows = queue_rows(session, clinic_ids, now=now, item_id=item_id, messages=DETAIL_MESSAGES)
    if not rows:
        return None
    detail = QueueDetail(row=rows[0])
    events = session.execute(
        select(QueueEvent, Staff.full_name)
        .outerjoin(Staff, Staff.id == QueueEvent.staff_id)
        .where(QueueEvent.queue_item_id == item_id)
        .order_by(QueueEvent.occurred_at, QueueEvent.id)
    )
    detail.events = [
        EventLine(event.kind, name, event.note, event.data, event.occurred_at)
        for event, name in events
    ]
    if detail.row.message_id is not None:
        message = session.get(Message, detail.row.message_id)
        if message is not None and message.patient_id == detail.row.patient_id:
            detail.trigger = MessageLine(
                message.direction, message.body, message.created_at, message.status
            )
    if detail.row.assessment_id is not None:
        assessment = session.scalar(
            select(Assessment)
            .options(selectinload(Assessment.answers))
            .where(Assessment.id == detail.row.assessment_id)
        )
        if assessment is not None and assessment.patient_id == detail.row.patient_id:
            form = instruments.get(assessment.instrument)
            detail.instrument, detail.total = assessment.instrument, assessment.total
            detail.answers = answer_lines(
                assessment.instrument, assessment.answer_list(len(form.items))
            )
    return detail
