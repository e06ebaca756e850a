"""Acting on the conversation engine's events for one inbound text.

Each event lands in the database in the same transaction as the text itself: answers, scores,
the consent log, queue items for staff, and the risk protocol. Nothing a patient writes is
dropped silently: whatever the engine cannot act on opens a queue item a person will see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from cocm import instruments
from cocm.checkins.records import cancel_pending, complete_assessment
from cocm.conversation import Event
from cocm.models import (
    Assessment,
    AssessmentAnswer,
    Clinic,
    ConsentEvent,
    Contact,
    Conversation,
    Message,
    Patient,
    QueueEvent,
    QueueItem,
)
from cocm.response_queue import open_item
from cocm.risk.protocol import raise_risk


@dataclass
class Inbound:
    """One inbound text being processed: where it came from and what it touched so far."""

    session: Session
    clinic: Clinic
    patient: Patient | None
    message: Message
    conversation: Conversation | None
    now: datetime
    loaded_assessment: Assessment | None = None  # the conversation's, loaded with it
    risk_item: QueueItem | None = None

    def assessment(self) -> Assessment | None:
        if self.conversation is None or self.conversation.assessment_id is None:
            return None
        loaded = self.loaded_assessment
        if loaded is not None and loaded.id == self.conversation.assessment_id:
            return loaded
        return self.session.get(Assessment, self.conversation.assessment_id)

    def contact(self) -> Contact | None:
        if self.conversation is None or self.conversation.contact_id is None:
            return None
        return self.session.get(Contact, self.conversation.contact_id)

    def queue(self, kind: str, reason: str, dedupe_key: str | None) -> QueueItem | None:
        if self.patient is None:
            return None
        return open_item(
            self.session,
            clinic_id=self.clinic.id,
            patient_id=self.patient.id,
            kind=kind,
            reason=reason,
            now=self.now,
            dedupe_key=dedupe_key,
            message_id=self.message.id,
            assessment_id=self.conversation.assessment_id if self.conversation else None,
        )


def apply_events(inbound: Inbound, events: tuple[Event, ...]) -> None:
    """Record every event of one engine outcome, in order."""
    for event in events:
        handler = _HANDLERS.get(event.kind)
        if handler is not None:
            handler(inbound, event.data)
    inbound.session.flush()


def _answer_stored(inbound: Inbound, data: dict) -> None:
    assessment = inbound.assessment()
    if assessment is not None:
        _store_answer(inbound.session, assessment.id, data["item"], data["value"], inbound.now)


def _store_answer(
    session: Session, assessment_id: int, item_number: int, value: int, now: datetime
) -> None:
    """``cocm.checkins.records.store_answer`` in one statement: an answer replaces an earlier
    one for the same item (the unique assessment_id, item_number), without reading it first."""
    parameters = {"assessment_id": assessment_id, "item": item_number, "value": value, "now": now}
    session.execute(_upsert_answer(session.get_bind().dialect.name), parameters)


@cache
def _upsert_answer(dialect: str):
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # The table, not the entity: a plain Core statement skips the ORM's bulk-insert machinery.
    statement = insert(AssessmentAnswer.__table__).values(
        assessment_id=bindparam("assessment_id"),
        item_number=bindparam("item"),
        value=bindparam("value"),
        answered_at=bindparam("now"),
    )
    return statement.on_conflict_do_update(
        index_elements=["assessment_id", "item_number"],
        set_={"value": statement.excluded.value, "answered_at": statement.excluded.answered_at},
    )


def _assessment_completed(inbound: Inbound, data: dict) -> None:
    assessment = inbound.assessment()
    if assessment is not None:
        complete_assessment(inbound.session, assessment, data["answers"], inbound.now)


def _risk_signal(inbound: Inbound, data: dict) -> None:
    assessment = inbound.assessment() if data.get("source") == "item9" else None
    if assessment is not None:
        assessment.risk = True
        label = _answer_label(assessment.instrument, data["item"], data["value"])
        kind = "risk_answer"
        reason = f"Answered the self-harm question ({assessment.instrument} item 9) with '{label}'"
    else:
        kind = "risk_words"
        who = "A text" if inbound.patient is not None else "A text from an unknown number"
        reason = f'{who} matched the risk phrase list ("{data.get("phrase", "")}")'
    if inbound.risk_item is not None:
        # One text, one urgent item and one page: a second signal in the same text is added
        # to the item already opened rather than paging someone twice.
        item = inbound.risk_item
        item.assessment_id = item.assessment_id or (assessment.id if assessment else None)
        inbound.session.add(
            QueueEvent(
                queue_item_id=item.id,
                kind="note",
                note=f"Also: {reason}",
                occurred_at=inbound.now,
                data={"signal": kind},
            )
        )
        return
    inbound.risk_item = raise_risk(
        inbound.session,
        patient=inbound.patient,
        clinic=inbound.clinic,
        kind=kind,
        reason=reason,
        now=inbound.now,
        message_id=inbound.message.id,
        assessment_id=assessment.id if assessment is not None else None,
    )


def _answer_label(instrument_code: str, item_number: int, value: int) -> str:
    for item in instruments.get(instrument_code).items:
        if item.number == item_number:
            return item.option_for(value).label["en"]
    return str(value)


def _consent(inbound: Inbound, kind: str, data: dict) -> None:
    if inbound.patient is None:
        return
    source = "twilio_opt_out_type" if data.get("via") == "OptOutType" else "keyword"
    inbound.session.add(
        ConsentEvent(
            patient_id=inbound.patient.id,
            kind=kind,
            source=source,
            wording=inbound.message.body,
            message_id=inbound.message.id,
            detail={"keyword": data.get("keyword"), "already": data.get("already")},
            occurred_at=inbound.now,
        )
    )


def _opted_out(inbound: Inbound, data: dict) -> None:
    _consent(inbound, "opt_out", data)
    patient = inbound.patient
    if patient is None:
        return
    patient.sms_opted_out = True
    cancel_pending(inbound.session, inbound.now, patient_id=patient.id)
    if not data.get("already"):
        inbound.queue(
            "opted_out",
            f"Opted out of texts (replied {data.get('keyword') or 'STOP'}): follow up by phone",
            f"opted_out:patient:{patient.id}",
        )


def _opted_in(inbound: Inbound, data: dict) -> None:
    _consent(inbound, "opt_in", data)
    if inbound.patient is not None:
        inbound.patient.sms_opted_out = False


def _help(inbound: Inbound, data: dict) -> None:
    _consent(inbound, "help", data)


def _needs_person(inbound: Inbound, data: dict) -> None:
    conversation = inbound.conversation
    what = "check-in" if data.get("conversation") == "checkin" else "contact confirmation"
    inbound.queue(
        "needs_person",
        f"Two replies in a row to a text {what} could not be read: finish it with the patient",
        f"needs_person:conversation:{conversation.id}" if conversation else None,
    )


def _reschedule_requested(inbound: Inbound, data: dict) -> None:
    contact = inbound.contact()
    if contact is not None:
        contact.reschedule_requested_at = inbound.now
    when = data.get("contact_when") or "soon"
    key = f"reschedule:contact:{contact.id}" if contact is not None else None
    inbound.queue("reschedule", f"Asked by text to reschedule the contact planned {when}", key)


def _contact_confirmed(inbound: Inbound, data: dict) -> None:
    contact = inbound.contact()
    if contact is not None:
        contact.next_contact_confirmed_at = inbound.now


def _free_text(inbound: Inbound, data: dict) -> None:
    patient = inbound.patient
    if patient is None:
        return
    inbound.queue(
        "free_text",
        "Sent a text while no check-in was open: read it and reply",
        f"free_text:patient:{patient.id}",
    )


def _ignored_while_opted_out(inbound: Inbound, data: dict) -> None:
    # The patient gets no automatic reply once opted out, so a person must read the text.
    patient = inbound.patient
    if patient is None:
        return
    inbound.queue(
        "free_text",
        "Sent a text after opting out of texts: read it and call back",
        f"free_text:patient:{patient.id}",
    )


_HANDLERS: dict[str, Callable[[Inbound, dict], None]] = {
    "answer_stored": _answer_stored,
    "assessment_completed": _assessment_completed,
    "risk_signal": _risk_signal,
    "opted_out": _opted_out,
    "opted_in": _opted_in,
    "help": _help,
    "needs_person": _needs_person,
    "reschedule_requested": _reschedule_requested,
    "contact_confirmed": _contact_confirmed,
    "free_text": _free_text,
    "ignored_while_opted_out": _ignored_while_opted_out,
}
