"""Everything the patient chart shows, loaded with a fixed number of statements (no N+1).

The chart is a view over the record, like the registry: the header's flags, minutes and billing
threshold come from the same registry row the caseload shows, so the two never disagree.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import case, select
from sqlalchemy.orm import Session, joinedload, selectinload

from cocm import instruments
from cocm.models import (
    Assessment,
    CarePlan,
    ConsentEvent,
    Contact,
    Episode,
    Message,
    Patient,
    QueueItem,
    Referral,
)
from cocm.models.enums import EPISODE_STATUSES, OPEN_EPISODE_STATUSES
from cocm.registry.queue_detail import AnswerLine, answer_lines
from cocm.registry.service import RegistryFilters, RegistryRow, registry_rows

THREAD_LENGTH = 50
TRENDED = ("PHQ-9", "GAD-7")


@dataclass
class AssessmentView:
    assessment: Assessment
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
    messages: list[Message]
    contacts: list[Contact]
    care_plans: list[CarePlan]
    queue_items: list[QueueItem]
    referrals: list[Referral]
    last_consent: ConsentEvent | None
    zone: ZoneInfo = field(repr=False, default=ZoneInfo("UTC"))

    @property
    def current_plan(self) -> CarePlan | None:
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


def load_chart(
    session: Session, patient_id: int, clinic_ids: Collection[int], today: date
) -> Chart | None:
    """The chart of a patient of one of ``clinic_ids``, or None (the caller answers 404).

    About twenty statements, whatever the length of the record. Reads only; the caller audits.
    """
    patient = session.scalar(
        select(Patient)
        .options(
            joinedload(Patient.clinic),
            joinedload(Patient.care_manager),
            joinedload(Patient.treating_clinician),
        )
        .where(Patient.id == patient_id, Patient.clinic_id.in_(list(clinic_ids)))
    )
    if patient is None:
        return None
    zone = ZoneInfo(patient.zone)
    episodes = list(
        session.scalars(
            select(Episode)
            .where(Episode.patient_id == patient_id)
            .order_by(Episode.started_on.desc(), Episode.id.desc())
        )
    )
    episode = next((e for e in episodes if e.status in OPEN_EPISODE_STATUSES), None)
    episode = episode or (episodes[0] if episodes else None)

    rows = registry_rows(
        session,
        {patient.clinic_id},
        RegistryFilters(patient_id=patient_id, statuses=EPISODE_STATUSES),
        today,
    )
    row = next((r for r in rows if episode is not None and r.episode_id == episode.id), None)

    assessments = list(
        session.scalars(
            select(Assessment)
            .options(selectinload(Assessment.answers))
            .where(Assessment.patient_id == patient_id)
            .order_by(Assessment.started_at.desc(), Assessment.id.desc())
        )
    )
    views = []
    trends: dict[str, list[tuple[date, int]]] = {code: [] for code in TRENDED}
    for a in assessments:
        form = instruments.get(a.instrument)
        views.append(AssessmentView(a, answer_lines(a.instrument, a.answer_list(len(form.items)))))
        if (
            a.instrument in trends
            and a.status == "completed"
            and a.total is not None
            and a.completed_at is not None
            and _belongs(episode, a.episode_id, a.completed_at, zone)
        ):
            trends[a.instrument].append((a.completed_at.astimezone(zone).date(), a.total))
    for points in trends.values():
        points.reverse()

    messages = list(
        session.scalars(
            select(Message)
            .where(Message.patient_id == patient_id)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(THREAD_LENGTH)
        )
    )
    messages.reverse()
    contacts = list(
        session.scalars(
            select(Contact)
            .options(joinedload(Contact.staff))
            .where(Contact.patient_id == patient_id)
            .order_by(Contact.occurred_at.desc(), Contact.id.desc())
        )
    )
    plans = (
        list(
            session.scalars(
                select(CarePlan)
                .options(joinedload(CarePlan.created_by), joinedload(CarePlan.signed_by))
                .where(CarePlan.episode_id == episode.id)
                .order_by(CarePlan.version)
            )
        )
        if episode is not None
        else []
    )
    queue_items = list(
        session.scalars(
            select(QueueItem)
            .options(joinedload(QueueItem.claimed_by))
            .where(QueueItem.patient_id == patient_id, QueueItem.status != "closed")
            .order_by(case((QueueItem.priority == "urgent", 0), else_=1), QueueItem.opened_at)
        )
    )
    referrals = list(
        session.scalars(
            select(Referral)
            .where(Referral.patient_id == patient_id)
            .order_by(Referral.created_at.desc(), Referral.id.desc())
        )
    )
    last_consent = session.scalar(
        select(ConsentEvent)
        .where(ConsentEvent.patient_id == patient_id)
        .order_by(ConsentEvent.occurred_at.desc(), ConsentEvent.id.desc())
        .limit(1)
    )
    return Chart(
        patient=patient,
        episodes=episodes,
        episode=episode,
        row=row,
        assessments=views,
        trends=trends,
        messages=messages,
        contacts=contacts,
        care_plans=plans,
        queue_items=queue_items,
        referrals=referrals,
        last_consent=last_consent,
        zone=zone,
    )
