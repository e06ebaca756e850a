"""The set-based SQL behind the billing month: one statement per question, whatever the size.

Every function here aggregates with GROUP BY over the whole clinic, so a month for 20,000
patients takes the same handful of statements as a month for five.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, case, exists, func, or_, select, union_all
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import Subquery

from cocm.billing.rules import CONSULTANT_ROLE, COUNTED_ROLES, UNCOUNTED_ACTIVITIES
from cocm.models import CarePlan, Episode, Patient, Staff, TimeEntry
from cocm.models.enums import OPEN_EPISODE_STATUSES


def entries(clinic_id: int, *, start: date | None, end: date) -> Subquery:
    """Live time entries of the clinic's patients dated in [start, end), each with its episode.

    An entry logged without an episode belongs to the patient's episode that covered its date
    (the latest one to start, if two overlap). Superseded entries and zero-minute entries are
    left out here, so nothing downstream can count them. Two plain joins in a UNION ALL rather
    than a correlated lookup per entry, so the cost stays linear in the entries scanned.
    """
    columns = (
        TimeEntry.id,
        TimeEntry.patient_id,
        TimeEntry.role,
        TimeEntry.activity,
        TimeEntry.minutes,
        TimeEntry.contact_id,
        TimeEntry.performed_on,
    )
    live = [
        Patient.clinic_id == clinic_id,
        TimeEntry.superseded_by_id.is_(None),
        TimeEntry.minutes > 0,
        TimeEntry.performed_on < end,
    ]
    if start is not None:
        live.append(TimeEntry.performed_on >= start)
    linked = (
        select(*columns, TimeEntry.episode_id.label("episode_id"))
        .join(Patient, Patient.id == TimeEntry.patient_id)
        .where(*live, TimeEntry.episode_id.is_not(None))
    )
    owner, newer = aliased(Episode), aliased(Episode)
    newer_cover = exists().where(
        _covers(newer),
        or_(
            newer.started_on > owner.started_on,
            and_(newer.started_on == owner.started_on, newer.id > owner.id),
        ),
    )
    unlinked = (
        select(*columns, owner.id.label("episode_id"))
        .join(Patient, Patient.id == TimeEntry.patient_id)
        .join(owner, _covers(owner))
        .where(*live, TimeEntry.episode_id.is_(None), ~newer_cover)
    )
    return union_all(linked, unlinked).subquery("entries")


def _covers(episode) -> Any:
    """``episode`` is the entry's patient's and was open on the entry's date."""
    return and_(
        episode.patient_id == TimeEntry.patient_id,
        episode.started_on <= TimeEntry.performed_on,
        or_(episode.ended_on.is_(None), episode.ended_on >= TimeEntry.performed_on),
    )


def _countable(e: Subquery) -> Any:
    """Counted role and activity, on or after the episode's consent date.

    Without a consent date the minutes are still totalled (the row is then blocked for missing
    consent), so the clerk sees what is waiting on the paperwork.
    """
    return and_(
        e.c.role.in_(COUNTED_ROLES),
        e.c.activity.not_in(UNCOUNTED_ACTIVITIES),
        or_(Episode.consent_on.is_(None), e.c.performed_on >= Episode.consent_on),
    )


def counted_minutes(session: Session, clinic_id: int, start: date, end: date) -> dict[int, int]:
    """Countable minutes per episode for [start, end).

    Time is counted once when two staff take part: entries linked to the same contact count as
    one, at the longest of their minutes. Entries without a contact each count in full.
    """
    e = entries(clinic_id, start=start, end=end)
    once_per_contact = case((e.c.contact_id.is_(None), e.c.id), else_=None)
    per_contact = (
        select(e.c.episode_id, func.max(e.c.minutes).label("minutes"))
        .join(Episode, Episode.id == e.c.episode_id)
        .where(_countable(e))
        .group_by(e.c.episode_id, e.c.contact_id, once_per_contact)
        .subquery("per_contact")
    )
    query = select(per_contact.c.episode_id, func.sum(per_contact.c.minutes)).group_by(
        per_contact.c.episode_id
    )
    return {episode_id: int(total) for episode_id, total in session.execute(query)}


def other_minutes(
    session: Session, clinic_id: int, start: date, end: date
) -> dict[int, tuple[int, int]]:
    """Per episode for [start, end): (consultant minutes, care-team minutes before consent).

    Neither counts toward a code; both are shown so the row explains itself.
    """
    e = entries(clinic_id, start=start, end=end)
    consultant = func.sum(case((e.c.role == CONSULTANT_ROLE, e.c.minutes), else_=0))
    before_consent = func.sum(
        case(
            (
                and_(
                    e.c.role.in_(COUNTED_ROLES),
                    e.c.activity.not_in(UNCOUNTED_ACTIVITIES),
                    Episode.consent_on.is_not(None),
                    e.c.performed_on < Episode.consent_on,
                ),
                e.c.minutes,
            ),
            else_=0,
        )
    )
    query = (
        select(e.c.episode_id, consultant, before_consent)
        .join(Episode, Episode.id == e.c.episode_id)
        .group_by(e.c.episode_id)
    )
    return {row[0]: (int(row[1] or 0), int(row[2] or 0)) for row in session.execute(query)}


class EarlierService(NamedTuple):
    episode_id: int
    patient_id: int
    program: str
    last_on: date


class EpisodeFacts(NamedTuple):
    """What the billing month needs to know about one episode (plain tuples: rows of 20,000
    episodes are read attribute by attribute, and SQLAlchemy's Row is slow at that)."""

    id: int
    patient_id: int
    program: str
    status: str
    started_on: date
    ended_on: date | None
    consent_on: date | None
    initiating_visit_on: date | None
    first_name: str
    last_name: str
    mrn: str
    care_manager_id: int | None
    care_manager: str | None
    has_plan: bool


def earlier_services(session: Session, clinic_id: int, before: date) -> list[EarlierService]:
    """Per episode, the last day with countable minutes before ``before``: what decides
    initial versus later months."""
    e = entries(clinic_id, start=None, end=before)
    query = (
        select(
            e.c.episode_id,
            Episode.patient_id,
            Episode.program,
            func.max(e.c.performed_on).label("last_on"),
        )
        .join(Episode, Episode.id == e.c.episode_id)
        .where(_countable(e))
        .group_by(e.c.episode_id, Episode.patient_id, Episode.program)
    )
    return [EarlierService._make(row) for row in session.execute(query)]


def month_episodes(
    session: Session, clinic_id: int, start: date, end: date, plan_cutoff: datetime
) -> list[EpisodeFacts]:
    """The episodes a billing month lists: those active at some point in [start, end), and any
    other episode with time logged in it (so misplaced minutes show up, with the reason).

    A closed episode with no end date is listed only when time was logged against it.
    """
    manager = aliased(Staff)
    has_plan = exists().where(CarePlan.episode_id == Episode.id, CarePlan.created_at < plan_cutoff)
    logged = entries(clinic_id, start=start, end=end)
    overlaps = and_(
        Episode.started_on < end,
        or_(
            Episode.ended_on >= start,
            and_(Episode.ended_on.is_(None), Episode.status.in_(OPEN_EPISODE_STATUSES)),
        ),
    )
    query = (
        select(
            Episode.id,
            Episode.patient_id,
            Episode.program,
            Episode.status,
            Episode.started_on,
            Episode.ended_on,
            Episode.consent_on,
            Episode.initiating_visit_on,
            Patient.first_name,
            Patient.last_name,
            Patient.mrn,
            Patient.care_manager_id,
            manager.full_name.label("care_manager"),
            has_plan.label("has_plan"),
        )
        .join(Patient, Patient.id == Episode.patient_id)
        .outerjoin(manager, manager.id == Patient.care_manager_id)
        .where(
            Patient.clinic_id == clinic_id,
            or_(overlaps, Episode.id.in_(select(logged.c.episode_id))),
        )
        .order_by(Patient.last_name, Patient.first_name, Patient.id, Episode.started_on)
    )
    return [EpisodeFacts._make(row) for row in session.execute(query)]
