"""Recording a contact note and logging time (DESIGN section 4, registry row; section 7).

Saving a contact writes everything the registry reads in one transaction: the contact with its
next contact and next action, the time entry for the billing month, and any PHQ-9/GAD-7 taken
during it. There is no separate registry chore. A form posted twice saves once: the contact
carries the form's one-time token, and a standalone time entry's token is kept in its audit
event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm import instruments
from cocm.audit import record
from cocm.clock import local
from cocm.contacts import measures
from cocm.contacts import templates as note_templates
from cocm.episodes.service import open_episode
from cocm.models import AuditEvent, Contact, Membership, Patient, Staff, TimeEntry
from cocm.models.enums import ACTIVITIES, CONTACT_KINDS, CONTACT_OUTCOMES

MAX_MINUTES = 600
# A note dated a few minutes ahead is a clock difference, not the future.
CLOCK_SLACK = timedelta(minutes=5)
TIME_ROLE_ORDER = ("care_manager", "treating_clinician", "psychiatric_consultant")


class ContactError(ValueError):
    """Input a contact note or time entry cannot accept; ``field`` names the form field."""

    def __init__(self, field: str, message: str, errors: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.field = field
        self.message = message
        self.errors = errors or [(field, message)]


@dataclass
class ContactData:
    kind: str
    outcome: str
    occurred_at: datetime
    note: str
    form_token: str
    template: str | None = None
    minutes: int = 0
    activity: str | None = None
    next_contact_at: datetime | None = None
    next_action: str | None = None
    phq9: list[int | None] | None = None
    gad7: list[int | None] | None = None


@dataclass
class TimeData:
    performed_on: date
    minutes: int
    activity: str
    form_token: str
    note: str | None = None


@dataclass
class Saved:
    """What a save produced; ``created`` is False when the same form had already been saved."""

    contact: Contact | None = None
    time_entry: TimeEntry | None = None
    assessments: list = field(default_factory=list)
    created: bool = True


def time_role(session: Session, staff: Staff, clinic_id: int) -> str | None:
    """The role a person's minutes count under in this clinic (care manager work first)."""
    roles = set(
        session.scalars(
            select(Membership.role).where(
                Membership.staff_id == staff.id, Membership.clinic_id == clinic_id
            )
        )
    )
    return next((r for r in TIME_ROLE_ORDER if r in roles), None)


def _lock_patient(session: Session, patient: Patient) -> None:
    # Serialises two posts of the same form on PostgreSQL; SQLite serialises writers anyway.
    session.execute(select(Patient.id).where(Patient.id == patient.id).with_for_update())


def _check_minutes(minutes: int | None, *, allow_zero: bool) -> int:
    if minutes is None:
        return 0 if allow_zero else _fail("minutes", "Enter the minutes spent.")
    if minutes < (0 if allow_zero else 1) or minutes > MAX_MINUTES:
        low = 0 if allow_zero else 1
        _fail("minutes", f"Minutes must be between {low} and {MAX_MINUTES}.")
    return minutes


def _fail(field_name: str, message: str):
    raise ContactError(field_name, message)


def _collect(*checks) -> None:
    """Run every check and raise one ContactError carrying all problems (first per field)."""
    found: list[tuple[str, str]] = []
    for check in checks:
        try:
            check()
        except ContactError as exc:
            if all(f != exc.field for f, _ in found):
                found.append((exc.field, exc.message))
    if found:
        raise ContactError(found[0][0], found[0][1], errors=found)


def _validate_contact(data: ContactData, now: datetime, has_episode: bool) -> None:
    def what():
        if data.kind not in CONTACT_KINDS:
            _fail("kind", "Choose how the contact happened.")

    def outcome():
        if data.outcome not in CONTACT_OUTCOMES:
            _fail("outcome", "Choose the outcome of the contact.")
        took_scores = measures.has_answers(data.phq9) or measures.has_answers(data.gad7)
        if took_scores and data.outcome != "reached":
            _fail("outcome", "Scores can only be recorded when the patient was reached.")

    def token():
        if not data.form_token or len(data.form_token) > 64:
            _fail("form_token", "This form has expired; reload the page and try again.")

    def when():
        if data.occurred_at is None:
            _fail("occurred_at", "Enter when the contact happened.")
        if data.occurred_at > now + CLOCK_SLACK:
            _fail("occurred_at", "A contact cannot be in the future.")

    def note():
        text = (data.note or "").strip()
        if data.template:
            try:
                template = note_templates.get(data.template)
            except ValueError:
                _fail("template", "Choose a note template from the list.")
            missing = note_templates.missing_elements(text, template)
            if missing:
                _fail("note", "Write something under: " + "; ".join(missing) + ".")
        if not text:
            _fail("note", "Write a note about the contact.")

    def minutes():
        _check_minutes(data.minutes, allow_zero=True)
        if data.minutes and data.activity not in ACTIVITIES:
            _fail("activity", "Choose the activity the minutes were spent on.")

    def scores():
        for name, code, answers in (("phq9", "PHQ-9", data.phq9), ("gad7", "GAD-7", data.gad7)):
            if measures.has_answers(answers):
                try:
                    instruments.score(code, list(answers))
                except ValueError as exc:
                    _fail(name, str(exc))

    def next_contact():
        if has_episode and data.next_contact_at is None:
            _fail("next_contact_at", "Enter the date and time of the next contact.")
        after = data.occurred_at or now
        if data.next_contact_at is not None and data.next_contact_at <= after:
            _fail("next_contact_at", "The next contact must come after this one.")
        if data.next_action and len(data.next_action.strip()) > 255:
            _fail("next_action", "Keep the next action under 255 characters.")

    _collect(what, outcome, token, when, note, minutes, scores, next_contact)


def record_contact(
    session: Session, data: ContactData, patient: Patient, staff: Staff, now: datetime
) -> Saved:
    """Save a contact note with its time entry and any scores taken; idempotent per form token.

    Raises ContactError(field, message) for anything the form must correct. A contact that
    reached the patient moves a newly enrolled episode to active.
    """
    existing = session.scalar(select(Contact).where(Contact.form_token == data.form_token))
    if existing is not None and existing.patient_id == patient.id:
        return Saved(contact=existing, created=False)
    episode = open_episode(session, patient.id)
    _validate_contact(data, now, episode is not None)
    role = time_role(session, staff, patient.clinic_id)
    if data.minutes and role is None:
        _fail("minutes", "Your role in this clinic does not log time for patients.")
    _lock_patient(session, patient)
    existing = session.scalar(select(Contact).where(Contact.form_token == data.form_token))
    if existing is not None:
        if existing.patient_id != patient.id:
            _fail("form_token", "This form has expired; reload the page and try again.")
        return Saved(contact=existing, created=False)

    contact = Contact(
        patient_id=patient.id,
        episode_id=episode.id if episode is not None else None,
        staff_id=staff.id,
        kind=data.kind,
        outcome=data.outcome,
        template=data.template or None,
        occurred_at=data.occurred_at,
        minutes=data.minutes or 0,
        note=data.note.strip(),
        next_contact_at=data.next_contact_at,
        next_action=(data.next_action or "").strip() or None,
        form_token=data.form_token,
        created_at=now,
    )
    session.add(contact)
    session.flush()
    saved = Saved(contact=contact)
    if data.minutes:
        saved.time_entry = TimeEntry(
            patient_id=patient.id,
            episode_id=contact.episode_id,
            staff_id=staff.id,
            role=role,
            activity=data.activity,
            performed_on=local(data.occurred_at, patient.clinic.timezone).date(),
            minutes=data.minutes,
            contact_id=contact.id,
            started_at=data.occurred_at,
            ended_at=data.occurred_at + timedelta(minutes=data.minutes),
            created_at=now,
        )
        session.add(saved.time_entry)
    for instrument, answers in (("PHQ-9", data.phq9), ("GAD-7", data.gad7)):
        if measures.has_answers(answers):
            saved.assessments.append(
                measures.record_measure(
                    session,
                    patient=patient,
                    episode=episode,
                    instrument=instrument,
                    answers=answers,
                    channel="contact",
                    staff=staff,
                    now=data.occurred_at,
                )
            )
    if episode is not None and episode.status == "enrolled" and data.outcome == "reached":
        episode.status = "active"
    session.flush()
    return saved


def _time_token_used(session: Session, patient: Patient, token: str) -> TimeEntry | None:
    entry_id = session.scalar(
        select(AuditEvent.object_id).where(
            AuditEvent.patient_id == patient.id,
            AuditEvent.action == "time_logged",
            AuditEvent.detail["form_token"].as_string() == token,
        )
    )
    return session.get(TimeEntry, entry_id) if entry_id is not None else None


def log_time(
    session: Session,
    data: TimeData,
    patient: Patient,
    staff: Staff,
    now: datetime,
    remote_addr: str | None = None,
) -> Saved:
    """Log minutes of work done away from a contact; idempotent per form token.

    Writes its own ``time_logged`` audit event, which keeps the form token that stops a second
    post of the same form from logging the minutes twice.
    """
    if not data.form_token or len(data.form_token) > 64:
        _fail("form_token", "This form has expired; reload the page and try again.")
    if data.performed_on is None:
        _fail("performed_on", "Enter the day the work was done.")
    today = local(now, patient.clinic.timezone).date()
    if data.performed_on > today:
        _fail("performed_on", "Time cannot be logged for a future day.")
    if data.performed_on < today - timedelta(days=366):
        _fail("performed_on", "Time more than a year old cannot be logged here.")
    _check_minutes(data.minutes, allow_zero=False)
    if data.activity not in ACTIVITIES:
        _fail("activity", "Choose the activity the minutes were spent on.")
    role = time_role(session, staff, patient.clinic_id)
    if role is None:
        _fail("minutes", "Your role in this clinic does not log time for patients.")
    _lock_patient(session, patient)
    existing = _time_token_used(session, patient, data.form_token)
    if existing is not None:
        return Saved(time_entry=existing, created=False)
    episode = open_episode(session, patient.id)
    entry = TimeEntry(
        patient_id=patient.id,
        episode_id=episode.id if episode is not None else None,
        staff_id=staff.id,
        role=role,
        activity=data.activity,
        performed_on=data.performed_on,
        minutes=data.minutes,
        note=(data.note or "").strip() or None,
        created_at=now,
    )
    session.add(entry)
    session.flush()
    record(
        session,
        "time_logged",
        staff_id=staff.id,
        clinic_id=patient.clinic_id,
        patient_id=patient.id,
        object_type="time_entry",
        object_id=entry.id,
        remote_addr=remote_addr,
        detail={"form_token": data.form_token, "minutes": data.minutes, "activity": data.activity},
    )
    session.flush()
    return Saved(time_entry=entry)
