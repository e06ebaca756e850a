"""The set-based SQL behind the billing month: one statement per question, whatever the size.

Two statements answer everything a month needs. ``month_episodes`` lists the episodes with
their month's minutes (one pass over the month's entries, grouped) and whether each had
countable minutes before the month (an indexed EXISTS per episode, which stops at the first
entry found, so its cost does not grow with years of history). ``recent_cocm`` answers the
six-month rule for the few patients with more than one episode.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import and_, case, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import Subquery

from cocm.billing.rules import CONSULTANT_ROLE, COUNTED_ROLES, UNCOUNTED_ACTIVITIES
from cocm.models import CarePlan, Episode, Patient, Staff, TimeEntry
from cocm.models.enums import OPEN_EPISODE_STATUSES


def entries(clinic_id: int, *, start: date | None, end: date, patients: Any = None) -> Subquery:
    """Live time entries of the clinic's patients dated in [start, end), each with its episode.

    An entry logged without an episode belongs to the patient's episode that covered its date
    (the latest one to start, if two overlap). Superseded entries and zero-minute entries are
    left out here, so nothing downstream can count them. Two plain joins in a UNION ALL rather
    than a correlated lookup per entry, so the cost stays linear in the entries scanned.
    ``patients`` (a select of patient ids) narrows the entries to those patients.
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
        *_live(TimeEntry),
        TimeEntry.performed_on < end,
    ]
    if start is not None:
        live.append(TimeEntry.performed_on >= start)
    if patients is not None:
        live.append(TimeEntry.patient_id.in_(patients))
    linked = (
        select(*columns, TimeEntry.episode_id.label("episode_id"))
        .join(Patient, Patient.id == TimeEntry.patient_id)
        .where(*live, TimeEntry.episode_id.is_not(None))
    )
    owner = aliased(Episode)
    unlinked = (
        select(*columns, owner.id.label("episode_id"))
        .join(Patient, Patient.id == TimeEntry.patient_id)
        .join(owner, _covers(owner, TimeEntry))
        .where(*live, TimeEntry.episode_id.is_(None), ~_newer_cover(owner, TimeEntry))
    )
    return union_all(linked, unlinked).subquery("entries")


def _live(entry) -> list[Any]:
    return [entry.superseded_by_id.is_(None), entry.minutes > 0]


def _covers(episode, entry) -> Any:
    """``episode`` is the entry's patient's and was open on the entry's date."""
    return and_(
        episode.patient_id == entry.patient_id,
        episode.started_on <= entry.performed_on,
        or_(episode.ended_on.is_(None), episode.ended_on >= entry.performed_on),
    )


def _newer_cover(owner, entry) -> Any:
    """Another episode covers the entry's date and started later: the entry is that one's."""
    newer = aliased(Episode)
    # Correlated explicitly: ``owner`` may belong to a query two levels up.
    return (
        exists()
        .where(
            _covers(newer, entry),
            or_(
                newer.started_on > owner.started_on,
                and_(newer.started_on == owner.started_on, newer.id > owner.id),
            ),
        )
        .correlate_except(newer)
    )


def _counts(role, activity, performed_on, consent_on) -> Any:
    """Counted role and activity, on or after the episode's consent date.

    Without a consent date the minutes are still totalled (the row is then blocked for missing
    consent), so the clerk sees what is waiting on the paperwork.
    """
    return and_(
        role.in_(COUNTED_ROLES),
        activity.not_in(UNCOUNTED_ACTIVITIES),
        or_(consent_on.is_(None), performed_on >= consent_on),
    )


def _countable(e: Subquery) -> Any:
    return _counts(e.c.role, e.c.activity, e.c.performed_on, Episode.consent_on)


def month_minutes(clinic_id: int, start: date, end: date) -> Subquery:
    """Per episode with live entries in [start, end): countable minutes, consultant minutes and
    care-team minutes before consent, in one pass over the month's entries.

    Time is counted once when two staff take part: entries linked to the same contact count as
    one, at the longest of their countable minutes; entries without a contact each count in
    full. Consultant and before-consent minutes never count; they are shown so the row
    explains itself.
    """
    e = entries(clinic_id, start=start, end=end)
    before_consent = and_(
        e.c.role.in_(COUNTED_ROLES),
        e.c.activity.not_in(UNCOUNTED_ACTIVITIES),
        Episode.consent_on.is_not(None),
        e.c.performed_on < Episode.consent_on,
    )
    once_per_contact = case((e.c.contact_id.is_(None), e.c.id), else_=None)
    per_contact = (
        select(
            e.c.episode_id,
            func.max(case((_countable(e), e.c.minutes), else_=None)).label("counted"),
            func.sum(case((e.c.role == CONSULTANT_ROLE, e.c.minutes), else_=0)).label("consultant"),
            func.sum(case((before_consent, e.c.minutes), else_=0)).label("before_consent"),
        )
        .join(Episode, Episode.id == e.c.episode_id)
        .group_by(e.c.episode_id, e.c.contact_id, once_per_contact)
        .subquery("per_contact")
    )
    return (
        select(
            per_contact.c.episode_id,
            func.coalesce(func.sum(per_contact.c.counted), 0).label("counted"),
            func.coalesce(func.sum(per_contact.c.consultant), 0).label("consultant"),
            func.coalesce(func.sum(per_contact.c.before_consent), 0).label("before_consent"),
        )
        .group_by(per_contact.c.episode_id)
        .subquery("month_minutes")
    )


def served_before(before: date) -> Any:
    """The episode (the outer query's ``Episode``) had countable minutes before ``before``:
    an entry linked to it, or one logged without an episode on a day it was the patient's
    (latest) open episode. Each EXISTS is an index probe that stops at the first entry.
    Shared with the registry, whose initial/later month must agree with the billing month."""
    linked = exists().where(
        TimeEntry.episode_id == Episode.id,
        TimeEntry.performed_on < before,
        *_live(TimeEntry),
        _counts(TimeEntry.role, TimeEntry.activity, TimeEntry.performed_on, Episode.consent_on),
    )
    unlinked = exists().where(
        TimeEntry.episode_id.is_(None),
        _covers(Episode, TimeEntry),
        TimeEntry.performed_on < before,
        *_live(TimeEntry),
        _counts(TimeEntry.role, TimeEntry.activity, TimeEntry.performed_on, Episode.consent_on),
        ~_newer_cover(Episode, TimeEntry),
    )
    return or_(linked, unlinked)


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
    minutes: int
    consultant_minutes: int
    minutes_before_consent: int
    served_before: bool


def month_episodes(
    session: Session, clinic_id: int, start: date, end: date, plan_cutoff: datetime
) -> list[EpisodeFacts]:
    """The episodes a billing month lists, with their month's minutes, in name order: those
    active at some point in [start, end), and any other episode with time logged in it (so
    misplaced minutes show up, with the reason). ``served_before`` says whether the episode
    had countable minutes before the month (then this is a later month).

    A closed episode with no end date is listed only when time was logged against it.
    """
    manager = aliased(Staff)
    has_plan = exists().where(CarePlan.episode_id == Episode.id, CarePlan.created_at < plan_cutoff)
    minutes = month_minutes(clinic_id, start, end)
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
            func.coalesce(minutes.c.counted, literal(0)),
            func.coalesce(minutes.c.consultant, literal(0)),
            func.coalesce(minutes.c.before_consent, literal(0)),
            served_before(start).label("served_before"),
        )
        .join(Patient, Patient.id == Episode.patient_id)
        .outerjoin(manager, manager.id == Patient.care_manager_id)
        .outerjoin(minutes, minutes.c.episode_id == Episode.id)
        .where(
            Patient.clinic_id == clinic_id,
            or_(overlaps, minutes.c.episode_id.is_not(None)),
        )
        .order_by(Patient.last_name, Patient.first_name, Patient.id, Episode.started_on)
    )
    # Core, not the ORM: 20,000 plain rows, no per-row ORM processing.
    return [EpisodeFacts._make(row) for row in session.connection().execute(query)]


class RecentService(NamedTuple):
    episode_id: int
    patient_id: int
    last_on: date


def recent_cocm(session: Session, clinic_id: int, since: date, before: date) -> list[RecentService]:
    """Per CoCM episode of a patient with more than one episode, the last day in
    [since, before) with countable minutes: what the six-month rule needs (a new CoCM episode
    within six months of CoCM minutes under another bills later-month codes). Patients with a
    single episode cannot be affected, so their entries are never read."""
    # Once, as a CTE: the entries' two branches both narrow by it. Episodes of every clinic
    # are counted (cheaper than joining patients); entries() keeps to this clinic.
    several = (
        select(Episode.patient_id)
        .group_by(Episode.patient_id)
        .having(func.count() > 1)
        .cte("several")
    )
    e = entries(clinic_id, start=since, end=before, patients=select(several.c.patient_id))
    query = (
        select(e.c.episode_id, Episode.patient_id, func.max(e.c.performed_on))
        .join(Episode, Episode.id == e.c.episode_id)
        .where(Episode.program == "cocm", _countable(e))
        .group_by(e.c.episode_id, Episode.patient_id)
    )
    return [RecentService._make(row) for row in session.connection().execute(query)]
