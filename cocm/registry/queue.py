"""The response queue as staff see it: urgent first, then oldest first, each item with why it
is there, the patient's last texts and scores, and how long it has waited against its limit.

Limits (DESIGN 5): an urgent item must be acknowledged (claimed) within the clinic's escalation
minutes. A normal item is due within one business day: by the end of clinic hours on the next
day the clinic is open after the day it arrived (an item from Friday afternoon is due Monday at
closing). Reads only: changes go through ``cocm.response_queue.service``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, case, func, literal, select
from sqlalchemy.orm import Session, aliased

from cocm.models import Assessment, Clinic, EscalationStep, Message, Patient, QueueItem, Staff
from cocm.models.enums import URGENT_OUTCOMES

KIND_LABELS = {
    "risk_answer": "Risk answer (PHQ-9 item 9)",
    "risk_words": "Risk words in a text",
    "reschedule": "Asked to reschedule",
    "needs_person": "Needs a person",
    "opted_out": "Opted out of texts",
    "delivery_failure": "Text not delivered",
    "disengagement": "Disengagement",
    "free_text": "Free-text reply",
    "drill": "Risk drill",
}
OUTCOME_LABELS = {
    "reached_safe": "Reached and safe",
    "safety_plan_reviewed": "Safety plan reviewed",
    "sent_to_emergency_care": "Sent to emergency care",
    "welfare_check_requested": "Welfare check requested",
    "unable_to_reach": "Unable to reach (say the next step)",
}
assert set(OUTCOME_LABELS) == set(URGENT_OUTCOMES)
WHO = ("all", "mine", "unclaimed")
NORMAL_LIMIT_LABEL = "1 business day"
MESSAGES_PER_ITEM = 3
CLOSED_DAYS = 30
MAX_ROWS = 500


@dataclass(frozen=True)
class MessageLine:
    direction: str
    body: str
    created_at: datetime
    status: str


@dataclass(frozen=True)
class ScoreLine:
    instrument: str
    total: int
    severity: str | None
    completed_at: datetime


@dataclass
class QueueRow:
    id: int
    clinic_id: int
    clinic_name: str
    clinic_timezone: str
    patient_id: int | None
    patient_name: str | None
    mrn: str | None
    kind: str
    priority: str
    status: str
    reason: str
    is_drill: bool
    opened_at: datetime
    claimed_by_id: int | None
    claimed_by: str | None
    acknowledged_at: datetime | None
    closed_at: datetime | None
    closed_by: str | None
    outcome: str | None
    outcome_note: str | None
    next_step: str | None
    message_id: int | None
    assessment_id: int | None
    due_at: datetime
    now: datetime
    messages: list[MessageLine] = field(default_factory=list)
    scores: dict[str, ScoreLine] = field(default_factory=dict)

    @property
    def urgent(self) -> bool:
        return self.priority == "urgent"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind.replace("_", " "))

    @property
    def outcome_label(self) -> str | None:
        return OUTCOME_LABELS.get(self.outcome) if self.outcome else None

    @property
    def limit(self) -> timedelta:
        return self.due_at - self.opened_at

    @property
    def limit_label(self) -> str:
        if self.urgent:
            return f"acknowledge within {minutes_text(self.limit)}"
        return f"due within {NORMAL_LIMIT_LABEL}"

    @property
    def waited(self) -> timedelta:
        """How long it has waited: to acknowledgement for urgent items, to closing otherwise."""
        end = self.acknowledged_at if self.urgent else self.closed_at
        return max(timedelta(0), (end or self.now) - self.opened_at)

    @property
    def waiting(self) -> bool:
        """Still running against its limit (urgent: not yet acknowledged; normal: not closed)."""
        return (self.acknowledged_at if self.urgent else self.closed_at) is None

    @property
    def overdue(self) -> bool:
        if self.waiting:
            return self.now > self.due_at
        return self.opened_at + self.waited > self.due_at

    @property
    def time_to_acknowledge(self) -> timedelta | None:
        return self.acknowledged_at - self.opened_at if self.acknowledged_at else None

    @property
    def time_to_resolve(self) -> timedelta | None:
        return self.closed_at - self.opened_at if self.closed_at else None


def minutes_text(span: timedelta) -> str:
    """A short duration for staff: '45 s', '12 min', '3 h 5 min', '2 d 4 h'."""
    seconds = int(span.total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def business_deadline(
    opened_at: datetime, tz_name: str, hours_end: time, weekdays: str
) -> datetime:
    """The end of clinic hours on the next open day after the day ``opened_at`` falls on."""
    zone = ZoneInfo(tz_name)
    open_days = {int(d) for d in weekdays.split(",") if d.strip().isdigit()} or set(range(1, 8))
    day: date = opened_at.astimezone(zone).date() + timedelta(days=1)
    while day.isoweekday() not in open_days:
        day += timedelta(days=1)
    return datetime.combine(day, hours_end, tzinfo=zone).astimezone(UTC)


def due_at(
    priority: str,
    opened_at: datetime,
    *,
    escalation_minutes: int,
    tz_name: str,
    hours_end: time,
    open_weekdays: str,
) -> datetime:
    """When an item's limit runs out (see the module docstring)."""
    if priority == "urgent":
        return opened_at + timedelta(minutes=escalation_minutes)
    return business_deadline(opened_at, tz_name, hours_end, open_weekdays)


_ITEM_COLUMNS = (
    "id",
    "clinic_id",
    "patient_id",
    "kind",
    "priority",
    "status",
    "reason",
    "is_drill",
    "opened_at",
    "claimed_by_id",
    "acknowledged_at",
    "closed_at",
    "outcome",
    "outcome_note",
    "next_step",
    "message_id",
    "assessment_id",
)


def _items_query(
    clinic_ids: Collection[int],
    *,
    closed: bool | None,
    who: str,
    staff_id: int | None,
    now: datetime,
) -> Select:
    claimer, closer = aliased(Staff), aliased(Staff)
    query = (
        select(
            # Columns, not the entity: a list of hundreds of items needs no identity map.
            *(QueueItem.__table__.c[name] for name in _ITEM_COLUMNS),
            Patient.first_name,
            Patient.last_name,
            Patient.mrn,
            claimer.full_name.label("claimed_by"),
            closer.full_name.label("closed_by"),
            Clinic.name.label("clinic_name"),
            Clinic.timezone.label("clinic_timezone"),
            Clinic.escalation_minutes,
            Clinic.hours_end,
            Clinic.open_weekdays,
        )
        .join(Clinic, Clinic.id == QueueItem.clinic_id)
        .outerjoin(Patient, Patient.id == QueueItem.patient_id)
        .outerjoin(claimer, claimer.id == QueueItem.claimed_by_id)
        .outerjoin(closer, closer.id == QueueItem.closed_by_id)
        .where(QueueItem.clinic_id.in_(list(clinic_ids)))
    )
    if closed is None:
        pass  # one item, whatever its state
    elif closed:
        query = query.where(
            QueueItem.status == "closed", QueueItem.closed_at >= now - timedelta(days=CLOSED_DAYS)
        ).order_by(QueueItem.closed_at.desc(), QueueItem.id.desc())
    else:
        urgent_first = case((QueueItem.priority == "urgent", 0), else_=1)
        query = query.where(QueueItem.status != "closed").order_by(
            urgent_first, QueueItem.opened_at, QueueItem.id
        )
    if who == "mine":
        column = QueueItem.closed_by_id if closed else QueueItem.claimed_by_id
        query = query.where(column == staff_id)
    elif who == "unclaimed" and not closed:
        query = query.where(QueueItem.claimed_by_id.is_(None))
    return query.limit(MAX_ROWS)


def queue_rows(
    session: Session,
    clinic_ids: Collection[int],
    *,
    now: datetime,
    who: str = "all",
    staff_id: int | None = None,
    closed: bool = False,
    item_id: int | None = None,
    messages: int = MESSAGES_PER_ITEM,
) -> list[QueueRow]:
    """Open items (or those closed in the last 30 days), urgent first then oldest first, each
    with its patient's last texts and last PHQ-9/GAD-7. Three statements for any number of
    items. ``who`` is "all", "mine" (claimed by, or closed by, ``staff_id``) or "unclaimed";
    ``item_id`` asks for that one item whatever its state (still only in ``clinic_ids``)."""
    if who not in WHO:
        raise ValueError(f"unknown queue filter {who!r}")
    if not clinic_ids:
        return []
    if item_id is not None:
        query = _items_query(clinic_ids, closed=None, who="all", staff_id=None, now=now)
        query = query.where(QueueItem.id == item_id)
    else:
        query = _items_query(clinic_ids, closed=closed, who=who, staff_id=staff_id, now=now)
    rows: list[QueueRow] = []
    session.flush()  # what session.execute's autoflush would do; the reads below go around it
    for item in session.connection().execute(query).all():
        rows.append(
            QueueRow(
                id=item.id,
                clinic_id=item.clinic_id,
                clinic_name=item.clinic_name,
                clinic_timezone=item.clinic_timezone,
                patient_id=item.patient_id,
                patient_name=f"{item.last_name}, {item.first_name}" if item.last_name else None,
                mrn=item.mrn,
                kind=item.kind,
                priority=item.priority,
                status=item.status,
                reason=item.reason,
                is_drill=item.is_drill,
                opened_at=item.opened_at,
                claimed_by_id=item.claimed_by_id,
                claimed_by=item.claimed_by,
                acknowledged_at=item.acknowledged_at,
                closed_at=item.closed_at,
                closed_by=item.closed_by,
                outcome=item.outcome,
                outcome_note=item.outcome_note,
                next_step=item.next_step,
                message_id=item.message_id,
                assessment_id=item.assessment_id,
                due_at=due_at(
                    item.priority,
                    item.opened_at,
                    escalation_minutes=item.escalation_minutes,
                    tz_name=item.clinic_timezone,
                    hours_end=item.hours_end,
                    open_weekdays=item.open_weekdays,
                ),
                now=now,
            )
        )
    patient_ids = {r.patient_id for r in rows if r.patient_id is not None}
    texts = last_messages(session, patient_ids, messages)
    scores = last_scores(session, patient_ids)
    for row in rows:
        row.messages = texts.get(row.patient_id, [])
        row.scores = scores.get(row.patient_id, {})
    return rows


def last_messages(
    session: Session, patient_ids: Collection[int], count: int
) -> dict[int, list[MessageLine]]:
    """Each patient's last ``count`` texts, oldest first: one windowed statement."""
    if not patient_ids:
        return {}
    ranked = (
        select(
            Message.patient_id,
            Message.direction,
            Message.body,
            Message.created_at,
            Message.status,
            func.row_number()
            .over(
                partition_by=Message.patient_id,
                order_by=(Message.created_at.desc(), Message.id.desc()),
            )
            .label("rn"),
        )
        .where(Message.patient_id.in_(list(patient_ids)))
        .subquery("ranked_messages")
    )
    query = (
        select(ranked).where(ranked.c.rn <= count).order_by(ranked.c.patient_id, ranked.c.rn.desc())
    )
    found: dict[int, list[MessageLine]] = defaultdict(list)
    for row in session.connection().execute(query).all():
        found[row.patient_id].append(
            MessageLine(row.direction, row.body, row.created_at, row.status)
        )
    return dict(found)


def last_scores(session: Session, patient_ids: Collection[int]) -> dict[int, dict[str, ScoreLine]]:
    """Each patient's last complete PHQ-9 and GAD-7: one windowed statement."""
    if not patient_ids:
        return {}
    ranked = (
        select(
            Assessment.patient_id,
            Assessment.instrument,
            Assessment.total,
            Assessment.severity,
            Assessment.completed_at,
            func.row_number()
            .over(
                partition_by=(Assessment.patient_id, Assessment.instrument),
                order_by=(Assessment.completed_at.desc(), Assessment.id.desc()),
            )
            .label("rn"),
        )
        .where(
            Assessment.patient_id.in_(list(patient_ids)),
            Assessment.instrument.in_(("PHQ-9", "GAD-7")),
            Assessment.status == "completed",
            Assessment.total.is_not(None),
        )
        .subquery("ranked_scores")
    )
    found: dict[int, dict[str, ScoreLine]] = defaultdict(dict)
    for row in session.connection().execute(select(ranked).where(ranked.c.rn == 1)).all():
        found[row.patient_id][row.instrument] = ScoreLine(
            row.instrument, row.total, row.severity, row.completed_at
        )
    return dict(found)


def queue_counts(
    session: Session, clinic_ids: Collection[int], staff_id: int | None = None
) -> dict[str, int]:
    """Open items by priority, and how many ``staff_id`` has claimed: one statement."""
    counts = {"urgent": 0, "normal": 0, "mine": 0, "unclaimed": 0}
    if not clinic_ids:
        return counts

    def total(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = select(
        total(QueueItem.priority == "urgent"),
        total(QueueItem.priority == "normal"),
        total(QueueItem.claimed_by_id == staff_id) if staff_id is not None else literal(0),
        total(QueueItem.claimed_by_id.is_(None)),
    ).where(QueueItem.clinic_id.in_(list(clinic_ids)), QueueItem.status != "closed")
    values = session.execute(query).one()
    return dict(zip(counts, (int(v) for v in values), strict=True))


def escalation_clinics(session: Session, staff_id: int) -> set[int]:
    """Clinics whose risk escalation chain includes ``staff_id`` (they may be paged)."""
    query = select(EscalationStep.clinic_id).where(EscalationStep.staff_id == staff_id)
    return set(session.scalars(query))
