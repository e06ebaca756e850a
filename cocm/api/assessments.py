"""Assessments through the API: a patient's list, one taken in clinic, and its FHIR Bundle.

One taken in clinic is stored exactly as staff enter it in the staff app
(``cocm.contacts.measures.record_measure``): scored, moving the measurement schedule, and with
PHQ-9 item 9 above 0 opening the urgent queue item and notifying the first responder in the
same transaction (DESIGN 5).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm import instruments
from cocm.api.errors import Conflict, Invalid
from cocm.api.schemas.assessments import AssessmentCreate
from cocm.contacts import measures
from cocm.episodes.service import open_episode
from cocm.instruments import fhir
from cocm.models import Assessment, Patient, QueueItem, Staff

CLOCK_SLACK = timedelta(minutes=5)


def for_patient(
    session: Session,
    patient_id: int,
    *,
    instrument: str | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[Assessment]:
    """The patient's assessments by id (oldest first), ``limit + 1`` at most."""
    query = select(Assessment).where(Assessment.patient_id == patient_id)
    if instrument:
        query = query.where(Assessment.instrument == instrument)
    if after_id is not None:
        query = query.where(Assessment.id > after_id)
    return list(session.scalars(query.order_by(Assessment.id).limit(limit + 1)))


def answers_of(assessment: Assessment) -> list[int | None]:
    """Answers in item order: every scored item, plus PHQ-9 item 10 when it was answered."""
    instrument = instruments.get(assessment.instrument)
    values = assessment.answer_list(len(instrument.items))
    if len(instrument.items) > len(instrument.scored_items) and values[-1] is None:
        values = values[: len(instrument.scored_items)]
    return values


def risk_item_id(session: Session, assessment: Assessment) -> int | None:
    if not assessment.risk:
        return None
    return session.scalar(
        select(QueueItem.id)
        .where(QueueItem.assessment_id == assessment.id, QueueItem.priority == "urgent")
        .order_by(QueueItem.id)
        .limit(1)
    )


def record_in_clinic(
    session: Session, patient: Patient, data: AssessmentCreate, staff: Staff, now: datetime
) -> Assessment:
    """Store an assessment the patient answered in clinic. Raises Invalid for answers the
    instrument refuses, no answer at all, or a time in the future."""
    taken_at = data.taken_at or now
    if taken_at > now + CLOCK_SLACK:
        raise Invalid.field("taken_at", "An assessment cannot be taken in the future.")
    if not measures.has_answers(data.answers):
        raise Invalid.field("answers", "Answer at least one item.")
    try:
        instruments.score(data.instrument, list(data.answers))
    except ValueError as exc:
        raise Invalid.field("answers", str(exc)) from None
    return measures.record_measure(
        session,
        patient=patient,
        episode=open_episode(session, patient.id),
        instrument=data.instrument,
        answers=list(data.answers),
        channel="clinic",
        staff=staff,
        now=taken_at,
    )


def fhir_bundle(assessment: Assessment, language: str, now: datetime) -> dict:
    """The FHIR R4 QuestionnaireResponse and total Observation of a completed assessment, in
    a collection Bundle. Raises Conflict for one that has no total (yet)."""
    if assessment.status != "completed" or assessment.completed_at is None:
        raise Conflict(
            f"Only a completed assessment has FHIR output; this one is {assessment.status}."
        )
    instrument = instruments.get(assessment.instrument)
    resources = fhir.assessment_resources(
        assessment.instrument,
        answers_of(assessment),
        assessment.completed_at,
        f"Patient/{assessment.patient_id}",
        str(assessment.id),
        language if language in instrument.languages else "en",
    )
    return fhir.bundle(resources, bundle_id=f"assessment-{assessment.id}", timestamp=now)
