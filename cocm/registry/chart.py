"""Everything the patient chart shows, loaded with a fixed number of statements (no N+1).

The chart is a view over the record, like the registry: the header's flags, minutes and billing
threshold come from the same registry row the caseload shows, so the two never disagree.

The lists (assessments with their answers, texts, contacts, care plans, queue items, referrals)
are read as plain rows of the columns the chart shows, with the names of the staff involved
joined in: the page only reads them, and ORM objects would cost more than the SQL itself.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, case, select
from sqlalchemy.orm import Session, aliased, joinedload

from cocm import instruments
from cocm.clock import utcnow
from cocm.models import (
    Assessment,
    AssessmentAnswer,
    CarePlan,
    ConsentEvent,
    Contact,
    Episode,
    Message,
    Patient,
    QueueItem,
    Referral,
    Staff,
)
from cocm.models.enums import OPEN_EPISODE_STATUSES
from cocm.registry.queue_detail import AnswerLine, answer_lines
from cocm.registry.service import RegistryFilters, RegistryRow, registry_rows

THREAD_LENGTH = 50
TRENDED = ("PHQ-9", "GAD-7")


@dataclass
class AssessmentView:
    """One assessment (a row: instrument, channel, status, total, severity, started_at,
    completed_at) with its item answers in item order."""

    assessment: Any
    answers: list[AnswerLine]

    @property
    def risk_answer(self) -> AnswerLine | None:
        """PHQ-9 item 9 when it was answered above 0 (a risk signal, DESIGN 5)."""
        if self.assessment.instrument != "PHQ-9":
            return None
        item = next((a for a in self.answers if a.number == 9), None)
        return item if item is not None and item.value else None


@dataclass
class Chart:
    patient: Patient
    episodes: list[Episode]
    episode: Episode | None
    row: RegistryRow | None
    assessments: list[AssessmentView]
    trends: dict[str, list[tuple[date, int]]]
    messages: list[Row]
    contacts: list[Row]
    care_plans: list[Row]
    queue_items: list[Row]
    referrals: list[Row]
    last_consent: Row | None
    zone: ZoneInfo = field(repr=False, default=ZoneInfo("UTC"))

    @property
    def current_plan(self) -> Row | None:
        return self.care_plans[-1] if self.care_plans else None

    @property
    def open_episode(self) -> bool:
        return self.episode is not None and self.episode.status in OPEN_EPISODE_STATUSES


def _belongs(episode: Episode | None, episode_id: int | None, moment: datetime, zone) -> bool:
    """A record belongs to the episode when linked to it, or unlinked and dated within it."""
    if episode is None:
        return False
    if episode_id is not None:
        return episode_id == episode.id
    day = moment.astimezone(zone).date()
    return day >= episode.started_on and (episode.ended_on is None or day <= episode.ended_on)


def _patient(session: Session, patient_id: int, clinic_ids: Collection[int]):
    """The patient (with clinic, care manager and clinician), their episodes newest first and
    their last consent event, in one statement: one row per episode (one if none)."""
    last_consent_id = (
        select(ConsentEvent.id)
        .where(ConsentEvent.patient_id == Patient.id)
        .order_by(ConsentEvent.occurred_at.desc(), ConsentEvent.id.desc())
        .limit(1)
        .correlate(Patient)
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Patient,
            Episode,
            ConsentEvent.id.label("consent_id"),
            ConsentEvent.kind,
            ConsentEvent.source,
            ConsentEvent.occurred_at,
        )
        .options(
            joinedload(Patient.clinic),
            joinedload(Patient.care_manager),
            joinedload(Patient.treating_clinician),
        )
        .outerjoin(Episode, Episode.patient_id == Patient.id)
        .outerjoin(ConsentEvent, ConsentEvent.id == last_consent_id)
        .where(Patient.id == patient_id, Patient.clinic_id.in_(list(clinic_ids)))
        .order_by(Episode.started_on.desc(), Episode.id.desc())
    ).all()
    if not rows:
        return None, [], None
    first = rows[0]
    consent = first if first.consent_id is not None else None
    return first.Patient, [r.Episode for r in rows if r.Episode is not None], consent


def _assessments(session: Session, patient_id: int) -> list[AssessmentView]:
    """Every assessment, newest first, with its answers: one statement (answers joined)."""
    rows = session.execute(
        select(
            Assessment.id,
            Assessment.episode_id,
            Assessment.instrument,
            Assessment.channel,
            Assessment.status,
            Assessment.total,
            Assessment.severity,
            Assessment.started_at,
            Assessment.completed_at,
            AssessmentAnswer.item_number,
            AssessmentAnswer.value,
        )
        .outerjoin(AssessmentAnswer, AssessmentAnswer.assessment_id == Assessment.id)
        .where(Assessment.patient_id == patient_id)
        .order_by(Assessment.started_at.desc(), Assessment.id.desc())
    ).all()
    grouped: dict[int, tuple[Row, list[int | None]]] = {}
    for row in rows:
        entry = grouped.get(row.id)
        if entry is None:
            entry = grouped[row.id] = (row, [None] * len(instruments.get(row.instrument).items))
        values = entry[1]
        if row.item_number is not None and 1 <= row.item_number <= len(values):
            values[row.item_number - 1] = row.value
    # Most assessments share a handful of answer patterns; item texts are built once each.
    lines: dict[tuple, list[AnswerLine]] = {}
    views = []
    for row, values in grouped.values():
        key = (row.instrument, *values)
        if key not in lines:
            lines[key] = answer_lines(row.instrument, values)
        views.append(AssessmentView(row, lines[key]))
    return views


def _trends(
    views: list[AssessmentView], episode: Episode | None, zone: ZoneInfo
) -> dict[str, list[tuple[date, int]]]:
    """Complete PHQ-9 and GAD-7 totals of the episode, oldest first, on the patient's dates."""
    trends: dict[str, list[tuple[date, int]]] = {code: [] for code in TRENDED}
    for view in reversed(views):
        a = view.assessment
        if (
            a.instrument in trends
            and a.status == "completed"
            and a.total is not None
            and a.completed_at is not None
            and _belongs(episode, a.episode_id, a.completed_at, zone)
        ):
            trends[a.instrument].append((a.completed_at.astimezone(zone).date(), a.total))
    return trends


def _messages(session: Session, patient_id: int) -> list[Row]:
    rows = session.execute(
        select(
            Message.direction,
            Message.body,
            Message.status,
            Message.error_code,
            Message.created_at,
        )
        .where(Message.patient_id == patient_id)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(THREAD_LENGTH)
    ).all()
    rows.reverse()
    return rows


def _contacts(session: Session, patient_id: int) -> list[Row]:
    return session.execute(
        select(
            Contact.occurred_at,
            Contact.kind,
            Contact.template,
            Contact.outcome,
            Contact.minutes,
            Contact.note,
            Contact.next_contact_at,
            Contact.next_action,
            Staff.full_name.label("staff_name"),
        )
        .outerjoin(Staff, Staff.id == Contact.staff_id)
        .where(Contact.patient_id == patient_id)
        .order_by(Contact.occurred_at.desc(), Contact.id.desc())
    ).all()


def _care_plans(session: Session, episode_id: int) -> list[Row]:
    author, signer = aliased(Staff), aliased(Staff)
    return session.execute(
        select(
            CarePlan.id,
            CarePlan.version,
            CarePlan.goals,
            CarePlan.medications,
            CarePlan.skill_plan,
            CarePlan.follow_up,
            CarePlan.safety_steps,
            CarePlan.change_summary,
            CarePlan.created_at,
            CarePlan.signed_at,
            author.full_name.label("created_by_name"),
            signer.full_name.label("signed_by_name"),
        )
        .outerjoin(author, author.id == CarePlan.created_by_id)
        .outerjoin(signer, signer.id == CarePlan.signed_by_id)
        .where(CarePlan.episode_id == episode_id)
        .order_by(CarePlan.version)
    ).all()


def _queue_items(session: Session, patient_id: int) -> list[Row]:
    return session.execute(
        select(
            QueueItem.id,
            QueueItem.kind,
            QueueItem.priority,
            QueueItem.reason,
            QueueItem.opened_at,
            Staff.full_name.label("claimed_by_name"),
        )
        .outerjoin(Staff, Staff.id == QueueItem.claimed_by_id)
        .where(QueueItem.patient_id == patient_id, QueueItem.status != "closed")
        .order_by(case((QueueItem.priority == "urgent", 0), else_=1), QueueItem.opened_at)
    ).all()


def _referrals(session: Session, patient_id: int) -> list[Row]:
    return session.execute(
        select(
            Referral.kind,
            Referral.to_whom,
            Referral.status,
            Referral.note,
            Referral.due_by,
            Referral.scheduled_on,
            Referral.seen_on,
        )
        .where(Referral.patient_id == patient_id)
        .order_by(Referral.created_at.desc(), Referral.id.desc())
    ).all()


def load_chart(
    session: Session,
    patient_id: int,
    clinic_ids: Collection[int],
    today: date | None = None,
    *,
    now: datetime | None = None,
) -> Chart | None:
    """The chart of a patient of one of ``clinic_ids``, or None (the caller answers 404).

    ``today`` is the viewer's date; when not given it is ``now`` (default: the clock) in the
    patient's time zone. Seven statements plus the registry row's, whatever the length of the
    record (the registry row is skipped for a patient never enrolled). Reads only; the caller
    audits.
    """
    patient, episodes, last_consent = _patient(session, patient_id, clinic_ids)
    if patient is None:
        return None
    zone = ZoneInfo(patient.zone)
    if today is None:
        today = (now or utcnow()).astimezone(zone).date()
    episode = next((e for e in episodes if e.status in OPEN_EPISODE_STATUSES), None)
    episode = episode or (episodes[0] if episodes else None)

    row = None
    if episode is not None:
        # Only the shown episode's status: the registry computes no rows for older episodes.
        rows = registry_rows(
            session,
            {patient.clinic_id},
            RegistryFilters(patient_id=patient_id, statuses=(episode.status,)),
            today,
        )
        row = next((r for r in rows if r.episode_id == episode.id), None)

    views = _assessments(session, patient_id)
    return Chart(
        patient=patient,
        episodes=episodes,
        episode=episode,
        row=row,
        assessments=views,
        trends=_trends(views, episode, zone),
        messages=_messages(session, patient_id),
        contacts=_contacts(session, patient_id),
        care_plans=_care_plans(session, episode.id) if episode is not None else [],
        queue_items=_queue_items(session, patient_id),
        referrals=_referrals(session, patient_id),
        last_consent=last_consent,
        zone=zone,
    )
