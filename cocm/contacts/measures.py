"""PHQ-9 / GAD-7 answers entered by staff (in clinic at enrollment, or during a contact).

A complete set is scored and stored as a completed assessment; a partial one keeps its answers
without a total (DESIGN section 4). PHQ-9 item 9 above 0 opens an urgent queue item in the same
transaction and notifies the first responder, whoever entered it (DESIGN section 5).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from cocm import instruments
from cocm.episodes import schedule
from cocm.models import Assessment, AssessmentAnswer, Clinic, Episode, Patient, Staff
from cocm.risk.protocol import raise_risk


def has_answers(answers: Sequence[int | None] | None) -> bool:
    return bool(answers) and any(a is not None for a in answers)


def record_measure(
    session: Session,
    *,
    patient: Patient,
    episode: Episode | None,
    instrument: str,
    answers: Sequence[int | None],
    channel: str,
    staff: Staff,
    now: datetime,
) -> Assessment:
    """Store one staff-entered assessment; raises ValueError for answers ``score`` refuses."""
    result = instruments.score(instrument, list(answers))
    complete = result.total is not None
    assessment = Assessment(
        patient_id=patient.id,
        episode_id=episode.id if episode is not None else None,
        instrument=instrument,
        channel=channel,
        status="completed" if complete else "partial",
        total=result.total,
        severity=result.severity,
        risk=result.risk,
        started_at=now,
        completed_at=now if complete else None,
        entered_by_id=staff.id,
    )
    assessment.answers = [
        AssessmentAnswer(item_number=number, value=value, answered_at=now)
        for number, value in enumerate(answers, start=1)
        if value is not None
    ]
    session.add(assessment)
    session.flush()
    if result.risk:
        # The person entering it is with the patient, but the protocol is never optional:
        # the urgent item and its notification make sure the follow-up is documented.
        raise_risk(
            session,
            patient=patient,
            kind="risk_answer",
            reason=f"PHQ-9 item 9 answered {answers[8]} ({channel} entry by staff)",
            now=now,
            assessment_id=assessment.id,
        )
    if complete and episode is not None:
        clinic = session.get(Clinic, patient.clinic_id)
        schedule.after_measure(session, episode, clinic, instrument, now)
    return assessment
