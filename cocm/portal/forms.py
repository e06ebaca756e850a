"""The questionnaire page's form (published wording in the patient's language, with the answers
saved so far pre-selected) and the look-ups the portal's questionnaire services share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm import instruments, texts
from cocm.checkins.records import open_episode
from cocm.models import Assessment, AssessmentAnswer, Conversation, MeasurementSchedule, Patient

CHANNEL = "portal"


class NotAvailable(LookupError):
    """The questionnaire is not this patient's, or is no longer due."""


@dataclass(frozen=True)
class Option:
    value: int
    label: str


@dataclass(frozen=True)
class FormItem:
    number: int
    text: str
    options: tuple[Option, ...]
    required: bool
    value: int | None


@dataclass(frozen=True)
class Form:
    """A questionnaire as the page shows it; ``open`` when it still takes answers."""

    instrument: str
    lang: str
    stem: str
    items: tuple[FormItem, ...]
    assessment_id: int | None
    schedule_id: int | None
    open: bool
    status: str

    @property
    def required_numbers(self) -> tuple[int, ...]:
        return tuple(item.number for item in self.items if item.required)


def answers(session: Session, assessment_id: int) -> dict[int, int]:
    """{item number: value} as stored now (not the possibly stale relationship)."""
    rows = session.execute(
        select(AssessmentAnswer.item_number, AssessmentAnswer.value).where(
            AssessmentAnswer.assessment_id == assessment_id
        )
    )
    return {number: value for number, value in rows}


def scored(instrument: str) -> tuple[int, ...]:
    """The numbers of the scored items, in order."""
    return tuple(item.number for item in instruments.get(instrument).scored_items)


def open_checkin(session: Session, patient_id: int, lock: bool = False) -> Conversation | None:
    """The patient's open text check-in, if any (``lock`` holds the row, as inbound texts do)."""
    query = select(Conversation).where(
        Conversation.patient_id == patient_id,
        Conversation.status == "open",
        Conversation.kind == "checkin",
    )
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def conversation_of(session: Session, assessment_id: int) -> Conversation | None:
    """The open conversation asking this assessment by text, locked, if any."""
    return session.scalar(
        select(Conversation)
        .where(Conversation.assessment_id == assessment_id, Conversation.status == "open")
        .with_for_update()
    )


def own_assessment(session: Session, patient: Patient, assessment_id: int) -> Assessment:
    """The patient's assessment ``assessment_id``; NotAvailable for anyone else's."""
    assessment = session.get(Assessment, assessment_id)
    if assessment is None or assessment.patient_id != patient.id:
        raise NotAvailable(assessment_id)
    return assessment


def due(session: Session, patient: Patient, now: datetime) -> list[MeasurementSchedule]:
    """The open episode's active measures due now: what the care team has asked for."""
    episode = open_episode(session, patient.id)
    if episode is None:
        return []
    return list(
        session.scalars(
            select(MeasurementSchedule)
            .where(
                MeasurementSchedule.episode_id == episode.id,
                MeasurementSchedule.active.is_(True),
                MeasurementSchedule.next_due_at <= now,
            )
            .order_by(MeasurementSchedule.next_due_at, MeasurementSchedule.id)
        )
    )


def due_schedule(
    session: Session, patient: Patient, schedule_id: int, now: datetime
) -> MeasurementSchedule:
    """The patient's due measure ``schedule_id``; NotAvailable when not theirs or not due."""
    for row in due(session, patient, now):
        if row.id == schedule_id:
            return row
    raise NotAvailable(schedule_id)


def form_for(
    session: Session,
    patient: Patient,
    lang: str,
    now: datetime,
    *,
    assessment_id: int | None = None,
    schedule_id: int | None = None,
) -> Form:
    """The form of a started questionnaire (``assessment_id``) or of a due one
    (``schedule_id``: nothing is created until the first answers are saved). PHQ-9 shows its
    unscored difficulty item too, as optional. Raises NotAvailable when the questionnaire is not
    the patient's or is no longer due."""
    lang = texts.language(lang)
    if assessment_id is not None:
        assessment = own_assessment(session, patient, assessment_id)
        code, saved = assessment.instrument, answers(session, assessment.id)
        status = assessment.status
    elif schedule_id is not None:
        code, saved = due_schedule(session, patient, schedule_id, now).instrument, {}
        status = "due"
    else:
        raise NotAvailable(None)
    instrument = instruments.get(code)
    shown = instrument.items if code == "PHQ-9" else instrument.scored_items
    items = tuple(
        FormItem(
            number=item.number,
            text=item.text.get(lang) or item.text["en"],
            options=tuple(
                Option(o.score, o.label.get(lang) or o.label["en"]) for o in item.options
            ),
            required=item.scored,
            value=saved.get(item.number),
        )
        for item in shown
    )
    return Form(
        instrument=code,
        lang=lang,
        stem=instrument.stem.get(lang) or instrument.stem["en"],
        items=items,
        assessment_id=assessment_id,
        schedule_id=schedule_id,
        open=status in ("in_progress", "due"),
        status=status,
    )
