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

from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.twiml.messaging_response import MessagingResponse

from cocm import conversation as engine
from cocm import texts
from cocm.checkins.records import close_conversation, open_conversation
from cocm.checkins.state import from_json, patient_context, to_json
from cocm.inbound.events import Inbound, apply_events
from cocm.inbound.routing import find_clinic, find_patient, normalize_phone
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
    if sid is not None:
        earlier = session.scalar(select(Message).where(Message.twilio_sid == sid))
        if earlier is not None:
            return InboundResult(earlier.reply_twiml or twiml(), earlier, replayed=True)

    sender = normalize_phone(from_number)
    clinic = find_clinic(session, to_number, messaging_service_sid)
    message = Message(
        direction="inbound",
        clinic_id=clinic.id if clinic is not None else None,
        body=body,
        from_number=_number(sender, from_number),
        to_number=_number(normalize_phone(to_number), to_number),
        twilio_sid=sid,
        status="received",
        segments=texts.segments(body) if body else 0,
        created_at=now,
        status_at=now,
    )
    if clinic is None:
        return _answer_unrouted(session, message, body, now)

    patient = find_patient(session, clinic, sender)
    conversation = open_conversation(session, patient.id, lock=True) if patient else None
    message.patient_id = patient.id if patient is not None else None
    message.conversation_id = conversation.id if conversation is not None else None
    session.add(message)
    session.flush()  # the text is stored before anything is done with it

    state = engine_state(conversation)
    outcome = engine.handle_inbound(
        state, patient_context(patient, clinic), body, now, opt_out_type=opt_out_type
    )
    inbound = Inbound(session, clinic, patient, message, conversation, now)
    apply_events(inbound, outcome.events)
    if conversation is not None:
        if outcome.state is None:
            close_conversation(session, conversation, outcome.closed_reason or "closed", now)
        else:
            conversation.state = to_json(outcome.state)
            conversation.last_outbound_at = outcome.state.last_outbound_at

    return _answer(session, message, outcome.replies, now)


def engine_state(conversation: Conversation | None) -> engine.ConversationState | None:
    """The engine state of ``conversation`` (None when nothing is open)."""
    return from_json(conversation.state) if conversation is not None else None


def _answer(
    session: Session, message: Message, replies: tuple[engine.Reply, ...], now: datetime
) -> InboundResult:
    """Record each reply as a sent outbound message and keep the TwiML for replays."""
    for reply in replies:
        session.add(
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
        )
    message.reply_twiml = twiml([reply.text for reply in replies])
    session.flush()
    return InboundResult(message.reply_twiml, message)


def _answer_unrouted(session: Session, message: Message, body: str, now: datetime) -> InboundResult:
    # No clinic, so no queue and no care team; a risk phrase still gets the safety reply,
    # which names no clinic and no patient, and the operators are told loudly.
    session.add(message)
    session.flush()
    log.warning("inbound text %s went to a number no clinic uses", message.id)
    replies: tuple[engine.Reply, ...] = ()
    if find_risk_phrase(body):
        log.error("risk phrase in inbound text %s to a number no clinic uses", message.id)
        replies = (engine.Reply("safety_reply", texts.safety_reply("en")),)
    return _answer(session, message, replies, now)


def _number(normalized: str | None, raw: str | None) -> str | None:
    value = normalized or (raw or "").strip() or None
    return value[:_NUMBER_LENGTH] if value else None
