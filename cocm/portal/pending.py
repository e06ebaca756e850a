"""The questionnaires waiting for a patient on the portal's home page.

Only what the care team asked for: an open text check-in, a form the patient started on the
page, or a measure the episode's schedule has due now. Nothing else is offered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.checkins.records import store_answer
from cocm.models import Assessment, Patient
from cocm.portal.forms import CHANNEL, answers, due, open_checkin, scored
from cocm.portal.questionnaire import sync_conversation

# A page started and left alone this long is closed as partial, like an expired text check-in.
STALE_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class PendingItem:
    """One questionnaire waiting: started (``assessment_id``) or due (``schedule_id``)."""

    instrument: str
    assessment_id: int | None
    schedule_id: int | None
    answered: int
    total: int
    by_text: bool


def tidy(session: Session, patient: Patient, now: datetime) -> None:
    """Fold page-started forms into an open text check-in of the same questionnaire (answers
    the check-in lacks are carried over; the page form is kept, as superseded), and close page
    forms left alone past STALE_AFTER as partial (their answers kept)."""
    conversation = open_checkin(session, patient.id, lock=True)
    forms = session.scalars(
        select(Assessment).where(
            Assessment.patient_id == patient.id,
            Assessment.status == "in_progress",
            Assessment.channel == CHANNEL,
        )
    ).all()
    for form in forms:
        if (
            conversation is not None
            and conversation.assessment_id not in (None, form.id)
            and conversation.instrument == form.instrument
        ):
            target = session.get(Assessment, conversation.assessment_id)
            have = answers(session, target.id)
            for number, value in answers(session, form.id).items():
                if number not in have:
                    store_answer(session, target.id, number, value, now)
            form.status = "superseded"
            sync_conversation(session, conversation, target)
        elif form.started_at < now - STALE_AFTER:
            form.status = "partial"
    session.flush()


def pending(session: Session, patient: Patient, now: datetime) -> list[PendingItem]:
    """In order: an open text check-in, forms started on the page, then measures due now; one
    entry per questionnaire."""
    tidy(session, patient, now)
    found: list[PendingItem] = []
    seen: set[str] = set()
    conversation = open_checkin(session, patient.id)
    if conversation is not None and conversation.assessment_id is not None:
        assessment = session.get(Assessment, conversation.assessment_id)
        if assessment is not None and assessment.status == "in_progress":
            found.append(_started(session, assessment, by_text=True))
            seen.add(assessment.instrument)
    started = session.scalars(
        select(Assessment)
        .where(
            Assessment.patient_id == patient.id,
            Assessment.status == "in_progress",
            Assessment.channel == CHANNEL,
        )
        .order_by(Assessment.started_at, Assessment.id)
    ).all()
    for assessment in started:
        if assessment.instrument not in seen:
            found.append(_started(session, assessment, by_text=False))
            seen.add(assessment.instrument)
    for row in due(session, patient, now):
        if row.instrument not in seen:
            found.append(
                PendingItem(row.instrument, None, row.id, 0, len(scored(row.instrument)), False)
            )
            seen.add(row.instrument)
    return found


def _started(session: Session, assessment: Assessment, by_text: bool) -> PendingItem:
    numbers = scored(assessment.instrument)
    have = answers(session, assessment.id)
    answered = sum(1 for number in numbers if number in have)
    return PendingItem(assessment.instrument, assessment.id, None, answered, len(numbers), by_text)
