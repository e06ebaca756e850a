"""Saving a questionnaire answered on a page.

The portal stores answers and closes check-ins through the very functions the text path uses
(``cocm.checkins.records.store_answer``, ``complete_assessment``, ``close_conversation``) and
raises risk through ``cocm.risk.protocol.raise_risk``, so scores, schedule moves and the risk
protocol are identical whichever way the patient answers. When a text check-in of the same
questionnaire is open, the page answers that check-in's assessment and keeps the conversation's
state in step, so the text thread carries on from the first unanswered item; completing on the
page closes the conversation as completed. The assessment's channel becomes "portal" when the
page gave its first answers or finished it.

Answers are stored the moment they are submitted ("save and finish later" keeps them); once
every scored item is answered the assessment is scored and completed, as a text check-in is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm import instruments
from cocm.audit import record
from cocm.checkins.records import close_conversation, complete_assessment, store_answer
from cocm.checkins.state import from_json, to_json
from cocm.models import Assessment, Conversation, Patient
from cocm.portal.forms import (
    CHANNEL,
    NotAvailable,
    answers,
    conversation_of,
    due_schedule,
    open_checkin,
    own_assessment,
    scored,
)
from cocm.risk.protocol import raise_risk


@dataclass(frozen=True)
class SaveResult:
    """What a submission did. ``missing`` lists scored items still unanswered (when finishing
    was asked for); ``risk`` is true when the self-harm item is answered above 0, and the page
    then shows the safety message next; ``closed`` when the questionnaire took nothing."""

    assessment_id: int
    completed: bool
    risk: bool
    missing: tuple[int, ...] = ()
    closed: bool = False
    stored: int = 0


def check_answers(instrument_code: str, given: Mapping[int, int]) -> None:
    """Raise ValueError for an item the questionnaire lacks or a value it does not offer."""
    instrument = instruments.get(instrument_code)
    for number, value in given.items():
        instrument.item(number).option_for(value)


def _target(
    session: Session,
    patient: Patient,
    now: datetime,
    assessment_id: int | None,
    schedule_id: int | None,
    given: Mapping[int, int],
) -> Assessment:
    """The assessment to store into; the answers are checked before anything is written."""
    if assessment_id is not None:
        assessment = own_assessment(session, patient, assessment_id)
        check_answers(assessment.instrument, given)
        return assessment
    if schedule_id is None:
        raise NotAvailable(None)
    row = due_schedule(session, patient, schedule_id, now)
    check_answers(row.instrument, given)
    conversation = open_checkin(session, patient.id, lock=True)
    if (
        conversation is not None
        and conversation.instrument == row.instrument
        and conversation.assessment_id is not None
    ):
        return session.get(Assessment, conversation.assessment_id)
    started = session.scalar(
        select(Assessment).where(
            Assessment.patient_id == patient.id,
            Assessment.instrument == row.instrument,
            Assessment.status == "in_progress",
            Assessment.channel == CHANNEL,
        )
    )
    if started is not None:
        return started
    assessment = Assessment(
        patient_id=patient.id,
        episode_id=row.episode_id,
        instrument=row.instrument,
        channel=CHANNEL,
        status="in_progress",
        started_at=now,
    )
    session.add(assessment)
    session.flush()
    return assessment


def save(
    session: Session,
    patient: Patient,
    given: Mapping[int, int],
    now: datetime,
    *,
    assessment_id: int | None = None,
    schedule_id: int | None = None,
    finish: bool = False,
    remote_addr: str | None = None,
) -> SaveResult:
    """Store the submitted answers and act on them exactly as the text path does.

    Each answer is stored at once (a changed answer replaces the earlier one). PHQ-9 item 9
    above 0 marks the assessment and raises the risk protocol (one urgent item per assessment,
    shared with the text path). When every scored item is answered the assessment is scored and
    completed, the schedule moves, and an open text check-in of it closes as completed. A due
    measure (``schedule_id``) starts a portal assessment, or answers the open text check-in of
    the same questionnaire. ``finish`` only makes ``missing`` report what is unanswered. A
    questionnaire no longer open (completed, superseded, expired) takes nothing (``closed``).
    Raises NotAvailable for one that is not the patient's or not due, ValueError for an unknown
    item or value.
    """
    assessment = _target(session, patient, now, assessment_id, schedule_id, given)
    conversation = conversation_of(session, assessment.id)
    if assessment.status != "in_progress":
        completed = assessment.status == "completed"
        return SaveResult(assessment.id, completed, assessment.risk, closed=True)
    have = answers(session, assessment.id)
    first_answers = not have
    stored = 0
    for number, value in sorted(given.items()):
        if have.get(number) != value:
            store_answer(session, assessment.id, number, value, now)
            have[number] = value
            stored += 1
    risk_item = instruments.get(assessment.instrument).risk_item
    if risk_item is not None and have.get(risk_item, 0) > 0:
        _raise_risk(session, patient, assessment, risk_item, have[risk_item], now)
    if stored:
        if first_answers:
            assessment.channel = CHANNEL  # every answer so far came from the page
        _audit(session, "portal_answers_saved", patient, assessment, remote_addr, stored)
    numbers = scored(assessment.instrument)
    missing = tuple(number for number in numbers if number not in have)
    if missing:
        if conversation is not None:
            sync_conversation(session, conversation, assessment)
        session.flush()
        return SaveResult(
            assessment.id, False, assessment.risk, missing if finish else (), stored=stored
        )
    had_risk = assessment.risk
    assessment.channel = CHANNEL  # finished on the page
    complete_assessment(session, assessment, [have[n] for n in numbers], now)
    # A later 0 is not reassurance: once raised, the assessment stays marked.
    assessment.risk = assessment.risk or had_risk
    if conversation is not None:
        sync_conversation(session, conversation, assessment)
        close_conversation(session, conversation, "completed", now)
    _audit(session, "portal_questionnaire_completed", patient, assessment, remote_addr, stored)
    session.flush()
    completed = assessment.status == "completed"
    return SaveResult(assessment.id, completed, assessment.risk, stored=stored)


def _audit(
    session: Session,
    action: str,
    patient: Patient,
    assessment: Assessment,
    remote_addr: str | None,
    stored: int,
) -> None:
    record(
        session,
        action,
        patient_id=patient.id,
        clinic_id=patient.clinic_id,
        object_type="assessment",
        object_id=assessment.id,
        remote_addr=remote_addr,
        detail={"items": stored},
    )


def _raise_risk(
    session: Session,
    patient: Patient,
    assessment: Assessment,
    item_number: int,
    value: int,
    now: datetime,
) -> None:
    assessment.risk = True
    item = instruments.get(assessment.instrument).item(item_number)
    label = item.option_for(value).label["en"]
    raise_risk(
        session,
        patient=patient,
        kind="risk_answer",
        reason=(
            f"Answered the self-harm question ({assessment.instrument} item {item_number}) "
            f"with '{label}' on the patient portal"
        ),
        now=now,
        assessment_id=assessment.id,
    )


def sync_conversation(session: Session, conversation: Conversation, assessment: Assessment) -> None:
    """Keep an open text check-in's state in step with answers given on the page, so the thread
    goes on from the first unanswered item (and its reminder repeats that item)."""
    state = from_json(conversation.state)
    if state is None:
        return
    have = answers(session, assessment.id)
    values = tuple(have.get(number) for number in scored(assessment.instrument))
    conversation.state = to_json(state.evolve(answers=values))
    session.flush()


def result_of(session: Session, patient: Patient, assessment_id: int) -> SaveResult:
    """Where a questionnaire stands, for the page shown after a submission."""
    assessment = own_assessment(session, patient, assessment_id)
    have = answers(session, assessment.id)
    missing = tuple(n for n in scored(assessment.instrument) if n not in have)
    return SaveResult(
        assessment.id,
        completed=assessment.status == "completed",
        risk=assessment.risk,
        missing=missing,
        closed=assessment.status not in ("in_progress", "completed"),
    )
