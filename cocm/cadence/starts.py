"""Starting many check-ins at once, for the dispatcher (``cocm.cadence.checkins``).

``start_many`` writes, ``CHUNK`` check-ins a statement per table, exactly the rows
``cocm.checkins.start_checkin`` writes for a patient with nothing open: the in-progress
assessment, the open conversation, the opening text and its outbox row (as ``queue_message``
writes them, remembered for the after-commit hook) and the schedule's ``last_sent_at``. A patient
whose conversation was opened by someone else since the dispatcher looked goes through
``start_checkin`` itself, which supersedes it. The due rows are already claimed by the caller.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocm import conversation as engine
from cocm.cadence import bulk
from cocm.checkins.service import NotTextable, require_textable, send_at, start_checkin
from cocm.checkins.state import patient_context, to_json
from cocm.messaging.keys import PENDING_KEY
from cocm.messaging.window import window_for
from cocm.models import (
    Assessment,
    Clinic,
    Conversation,
    Message,
    OutboxItem,
    Patient,
)
from cocm.portal import links as portal_links
from cocm.texts import segments

# Rows per statement: IN lists and multi-row INSERTs stay far below the bind-parameter limits.
CHUNK = 2000


def chunks(items: Iterable, size: int = CHUNK) -> Iterator[list]:
    """``items`` in lists of at most ``size``."""
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class _Person:
    """What starting a check-in reads of a patient, loaded in bulk. It answers to the same
    attributes as ``Patient`` for ``require_textable``, ``patient_context``, ``send_at`` and the
    portal link, without the cost of 100,000 ORM objects."""

    id: int
    first_name: str
    language: str
    sms_opted_out: bool
    sms_consent_at: datetime | None
    phone_e164: str | None
    phone_problem: str | None
    timezone: str | None
    clinic: Clinic

    @property
    def zone(self) -> str:
        return self.timezone or self.clinic.timezone


def people(session: Session, patient_ids: Collection[int]) -> dict[int, _Person]:
    """The patients' facts, ``CHUNK`` ids a statement, with their clinics."""
    found = []
    for chunk in chunks(sorted(patient_ids)):
        found += session.execute(
            select(
                Patient.id,
                Patient.first_name,
                Patient.language,
                Patient.sms_opted_out,
                Patient.sms_consent_at,
                Patient.phone_e164,
                Patient.phone_problem,
                Patient.timezone,
                Patient.clinic_id,
            ).where(bulk.among(session, Patient.id, chunk))
        ).all()
    clinic_ids = {row.clinic_id for row in found}
    clinics = {c.id: c for c in session.scalars(select(Clinic).where(Clinic.id.in_(clinic_ids)))}
    return {row.id: _Person(*row[:-1], clinic=clinics[row.clinic_id]) for row in found}


def textable(person: _Person) -> bool:
    """Whether ``require_textable`` lets the patient be texted."""
    try:
        require_textable(person)  # type: ignore[arg-type]  # a _Person stands in for a Patient
    except NotTextable:
        return False
    return True


def start_many(
    session: Session, ready: list[tuple[Any, _Person]], now: datetime, report: Any
) -> list[tuple[int, int]]:
    """Start the claimed check-ins of ``ready`` (due schedule row, patient) pairs; returns
    (patient id, conversation id) of each started. Counts refusals in ``report.refused``."""
    started: list[tuple[int, int]] = []
    # (schedule id, moment) of the chunks written, for last_sent_at: one UPDATE per distinct
    # moment after the loop rather than one per chunk, in the same transaction.
    sent: list[tuple[int, datetime]] = []
    openings = _Openings(now)
    for chunk in chunks(ready):
        taken = set(
            session.scalars(
                select(Conversation.patient_id)
                .where(
                    Conversation.status == "open",
                    bulk.among(session, Conversation.patient_id, [p.id for _, p in chunk]),
                )
                .order_by(Conversation.patient_id)
                .with_for_update()
            )
        )
        fresh = [(row, person) for row, person in chunk if person.id not in taken]
        try:
            with session.begin_nested():
                written, outbox_ids, chunk_sent = _write_checkins(session, fresh, now, openings)
        except IntegrityError:
            # Someone opened a conversation for one of them since we looked: go one by one.
            taken.update(person.id for _, person in fresh)
        else:
            started += written
            sent += chunk_sent
            session.info.setdefault(PENDING_KEY, []).extend(outbox_ids)
        for row, person in chunk:
            if person.id not in taken:
                continue
            try:
                with session.begin_nested():
                    patient = session.get(Patient, person.id)
                    conversation = start_checkin(session, patient, row.instrument, now)
            except NotTextable:
                report.refused += 1
                continue
            started.append((person.id, conversation.id))
    bulk.mark_sent(session, sent)
    return started


class _Openings:
    """Each distinct opening made once per dispatch: the engine is pure, so patients of one
    clinic who share a language and a first name get the same text and the same new state."""

    def __init__(self, now: datetime):
        self.now = now
        self._outcomes: dict[tuple, engine.Outcome] = {}
        self._states: dict[tuple, dict] = {}
        self._segments: dict[str, int] = {}
        self._goes_at: dict[tuple, datetime] = {}

    def outcome(self, instrument: str, person: _Person) -> engine.Outcome:
        # Keyed by what patient_context reads of the person (the clinic is one loaded object
        # per dispatch), so the context is built once per distinct opening, not per patient.
        key = (instrument, person.clinic, person.first_name, person.language, person.sms_opted_out)
        found = self._outcomes.get(key)
        if found is None:
            context = patient_context(person, person.clinic)  # type: ignore[arg-type]
            found = self._outcomes[key] = engine.start_checkin(instrument, context, self.now)
        return found

    def goes_at(self, person: _Person) -> datetime:
        """``send_at`` for the person: it depends only on their zone and clinic's window."""
        key = (person.zone, window_for(person.clinic))
        found = self._goes_at.get(key)
        if found is None:
            found = self._goes_at[key] = send_at(person, self.now)  # type: ignore[arg-type]
        return found

    def state(self, outcome: engine.Outcome, goes_at: datetime) -> dict:
        key = (id(outcome), goes_at)
        if key not in self._states:
            self._states[key] = to_json(outcome.state.evolve(last_outbound_at=goes_at))
        return self._states[key]

    def segments(self, body: str) -> int:
        if body not in self._segments:
            self._segments[body] = segments(body)
        return self._segments[body]


def _write_checkins(
    session: Session, rows: list[tuple[Any, _Person]], now: datetime, openings: _Openings
) -> tuple[list[tuple[int, int]], list[int], list[tuple[int, datetime]]]:
    """The rows ``start_checkin`` writes for patients with nothing open, one statement per
    table: the in-progress assessment, the open conversation, the opening text and its outbox
    row (as ``queue_message`` writes them). Returns the (patient id, conversation id) pairs, the
    new outbox ids (for the after-commit hook) and the (schedule id, moment) pairs whose
    ``last_sent_at`` the caller sets."""
    if not rows:
        return [], [], []
    plans = []
    for row, person in rows:
        outcome = openings.outcome(row.instrument, person)
        plans.append((row, person, outcome, openings.goes_at(person)))
    assessment_ids = bulk.insert_rows(
        session,
        Assessment,
        [
            dict(
                patient_id=person.id,
                episode_id=row.episode_id,
                instrument=outcome.state.instrument,
                channel="sms",
                status="in_progress",
                started_at=now,
            )
            for row, person, outcome, _ in plans
        ],
    )
    conversation_ids = bulk.insert_rows(
        session,
        Conversation,
        [
            dict(
                patient_id=person.id,
                kind=outcome.state.kind,
                instrument=outcome.state.instrument,
                assessment_id=assessment_id,
                status="open",
                state=openings.state(outcome, goes_at),
                opened_at=now,
                last_outbound_at=goes_at,
            )
            for (_, person, outcome, goes_at), assessment_id in zip(
                plans, assessment_ids, strict=True
            )
        ],
    )
    messages = []
    for (_, person, outcome, _), conversation_id in zip(plans, conversation_ids, strict=True):
        opening = outcome.replies[0]
        if person.clinic.portal_links_enabled:
            # The portal link names the conversation, so the text is made once its id is known.
            target = SimpleNamespace(
                id=conversation_id,
                kind=outcome.state.kind,
                status="open",
                instrument=outcome.state.instrument,
                patient=person,
            )
            body = portal_links.opening_text(person, target, opening.text)  # type: ignore[arg-type]
        else:
            body = opening.text  # what opening_text gives when the clinic has links off
        messages.append(
            dict(
                direction="outbound",
                patient_id=person.id,
                clinic_id=person.clinic.id,
                conversation_id=conversation_id,
                kind=opening.kind,
                body=body,
                from_number=person.clinic.sms_number,
                to_number=person.phone_e164,
                status="queued",
                segments=openings.segments(body),
                created_at=now,
            )
        )
    message_ids = bulk.insert_rows(session, Message, messages)
    outbox_ids = bulk.insert_rows(
        session,
        OutboxItem,
        [
            dict(
                message_id=message_id,
                dedupe_key=f"checkin_open:conversation:{conversation_id}",
                status="pending",
                not_before=goes_at,
                attempts=0,
                created_at=now,
            )
            for (_, _, _, goes_at), conversation_id, message_id in zip(
                plans, conversation_ids, message_ids, strict=True
            )
        ],
    )
    pairs = [
        (person.id, cid) for (_, person, _, _), cid in zip(plans, conversation_ids, strict=True)
    ]
    sent = [(row.schedule_id, goes_at) for row, _, _, goes_at in plans]
    return pairs, outbox_ids, sent
