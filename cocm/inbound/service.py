"""The inbound text pipeline: one Twilio message in, stored, understood, answered in TwiML.

DESIGN sections 5 and 6. The message is stored before anything else is done with it; each
answer, consent change, queue item and page is written in the same transaction; the replies go
back in the webhook's TwiML (not through the outbox) so a conversation keeps going with Redis
down. The function only flushes; the edge commits, and a failed commit means Twilio retries.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlalchemy import insert
from sqlalchemy.orm import Session, make_transient_to_detached
from twilio.twiml.messaging_response import MessagingResponse

from cocm import conversation as engine
from cocm import texts
from cocm.checkins.records import close_conversation
from cocm.checkins.state import from_json, patient_context, to_json
from cocm.inbound.events import Inbound, apply_events
from cocm.inbound.routing import (
    lock_open_conversation,
    normalize_phone,
    number_candidates,
    route,
)
from cocm.models import Conversation, Message
from cocm.risk.phrases import find_risk_phrase

log = logging.getLogger(__name__)

_NUMBER_LENGTH = 20  # Message.from_number / to_number


@dataclass(frozen=True)
class InboundResult:
    """The TwiML to answer with and the stored inbound message (``replayed`` for a repeat)."""

    twiml: str
    message: Message
    replayed: bool = False


def twiml(replies: list[str] | tuple[str, ...] = ()) -> str:
    """A TwiML messaging response with one ``<Message>`` per reply, in order."""
    response = MessagingResponse()
    for text in replies:
        response.message(text)
    return str(response)


def receive_sms(
    session: Session,
    *,
    message_sid: str | None,
    from_number: str | None,
    to_number: str | None,
    body: str | None,
    opt_out_type: str | None,
    now: datetime,
    messaging_service_sid: str | None = None,
) -> InboundResult:
    """Store and handle one inbound text; return the TwiML answer.

    A replayed ``message_sid`` gets the TwiML stored the first time and nothing else happens.
    A text to a number no clinic uses is stored without a clinic and answered with empty TwiML
    (or the safety reply alone, if it carries a risk phrase). A text from a number that matches
    no patient of the clinic gets a reply with no PHI. Otherwise the patient's open conversation
    is run through the engine and every event recorded (see ``cocm.inbound.events``).
    """
    # PostgreSQL text cannot hold NUL: a text that could never be stored would be lost to
    # endless 503s, so the character is replaced instead.
    body = body.replace("\x00", "\ufffd") if isinstance(body, str) else ""
    sid = (message_sid or "").strip()[:64] or None
    sender = normalize_phone(from_number)
    to_e164 = normalize_phone(to_number)
    to_numbers = number_candidates(to_number, to_e164)
    found = route(session, sid, to_numbers, sender, messaging_service_sid)
    if found.earlier is not None:
        earlier = found.earlier
        return InboundResult(earlier.reply_twiml or twiml(), earlier, replayed=True)

    clinic = found.clinic
    message = Message(
        direction="inbound",
        clinic_id=clinic.id if clinic is not None else None,
        body=body,
        from_number=_number(sender, from_number),
        to_number=_number(to_e164, to_number),
        twilio_sid=sid,
        status="received",
        segments=texts.segments(body) if body else 0,
        created_at=now,
        status_at=now,
    )
    if clinic is None:
        return _answer_unrouted(session, message, body, now)

    patient = found.patient
    conversation, assessment = (
        lock_open_conversation(session, patient.id) if patient else (None, None)
    )
    message.patient_id = patient.id if patient is not None else None
    message.conversation_id = conversation.id if conversation is not None else None
    # The engine is pure, so the replies are known before anything is written: the text and its
    # replies go in together (one INSERT, its TwiML with it), in the same transaction as the rest.
    state = engine_state(conversation)
    outcome = engine.handle_inbound(
        state, patient_context(patient, clinic), body, now, opt_out_type=opt_out_type
    )
    _store(session, message, outcome.replies, now)

    inbound = Inbound(session, clinic, patient, message, conversation, now, assessment)
    apply_events(inbound, outcome.events)
    if conversation is not None:
        if outcome.state is None:
            close_conversation(session, conversation, outcome.closed_reason or "closed", now)
        else:
            conversation.state = to_json(outcome.state)
            conversation.last_outbound_at = outcome.state.last_outbound_at
        session.flush()
    return InboundResult(message.reply_twiml, message)


def engine_state(conversation: Conversation | None) -> engine.ConversationState | None:
    """The engine state of ``conversation`` (None when nothing is open)."""
    return from_json(conversation.state) if conversation is not None else None


def _store(
    session: Session, message: Message, replies: tuple[engine.Reply, ...], now: datetime
) -> None:
    """Store the inbound text with its TwiML (kept for replays) and each reply as a sent
    outbound message. The text is stored before anything is done with it (events need its id).

    One Core INSERT for all of them (the unit of work costs more than the statement here, on
    every webhook); ``message`` then joins the session as the persistent row it now is.
    """
    message.reply_twiml = twiml([reply.text for reply in replies])
    rows = [message] + [
        Message(
            direction="outbound",
            patient_id=message.patient_id,
            clinic_id=message.clinic_id,
            conversation_id=message.conversation_id,
            kind=reply.kind,
            body=reply.text,
            from_number=message.to_number,
            to_number=message.from_number,
            status="sent",
            segments=texts.segments(reply.text),
            created_at=now,
            status_at=now,
        )
        for reply in replies
    ]
    values = [{column: getattr(row, column) for column in _MESSAGE_COLUMNS} for row in rows]
    ids = session.execute(_insert_messages(), values).scalars().all()
    for column, value in values[0].items():
        setattr(message, column, value)  # each one set, so nothing is left to load later
    message.id = ids[0]
    make_transient_to_detached(message)
    session.add(message)


_MESSAGE_COLUMNS = tuple(c.key for c in Message.__table__.columns if c.key != "id")


@cache
def _insert_messages():
    table = Message.__table__
    return insert(table).returning(table.c.id, sort_by_parameter_order=True)


def _answer_unrouted(session: Session, message: Message, body: str, now: datetime) -> InboundResult:
    # No clinic, so no queue and no care team; a risk phrase still gets the safety reply,
    # which names no clinic and no patient, and the operators are told loudly.
    replies: tuple[engine.Reply, ...] = ()
    risk = bool(find_risk_phrase(body))
    if risk:
        replies = (engine.Reply("safety_reply", texts.safety_reply("en")),)
    _store(session, message, replies, now)
    log.warning("inbound text %s went to a number no clinic uses", message.id)
    if risk:
        log.error("risk phrase in inbound text %s to a number no clinic uses", message.id)
    return InboundResult(message.reply_twiml, message)


def _number(normalized: str | None, raw: str | None) -> str | None:
    value = normalized or (raw or "").strip() or None
    return value[:_NUMBER_LENGTH] if value else None
