"""The SMS conversation engine: (state, patient, inbound text, now) -> Outcome.

Pure: no database, no HTTP, no clock. The caller loads the open conversation, calls one
function, stores the new state, records the events and sends the replies. The rules are
DESIGN section 6 (keywords, answers, invalid replies, supersede, reminder and expiry, contact
confirmation, unknown numbers) and section 5 (risk phrases, item 9); see the package docstring.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from types import MappingProxyType

from cocm import instruments, texts
from cocm.conversation import parse
from cocm.conversation.types import (
    CHECKIN,
    CONTACT_CONFIRM,
    EXPIRE_AFTER,
    REMIND_AFTER,
    ConversationState,
    Event,
    Outcome,
    PatientContext,
    Reply,
)
from cocm.risk.phrases import find_risk_phrase


def _lang(patient: PatientContext) -> str:
    return texts.language(patient.language)


def _closing_event(kind: str, state: ConversationState, **extra: object) -> Event:
    # Every way a conversation can close reports what it held, so partial answers are kept.
    data = {
        "conversation": state.kind,
        "instrument": state.instrument,
        "answers": list(state.answers),
        **extra,
    }
    return Event(kind, data)


def _item_numbers(state: ConversationState) -> tuple[int, ...]:
    return tuple(item.number for item in instruments.get(state.instrument).scored_items)


@cache
def _option_words(instrument_code: str, index: int) -> Mapping[str, int]:
    # Instruments are static data: each item's option words are folded once, not for every text.
    options = instruments.get(instrument_code).scored_items[index].options
    return MappingProxyType(parse.option_words(options))


def _current_item(state: ConversationState) -> int | None:
    if state.kind != CHECKIN or state.next_index is None:
        return None
    return _item_numbers(state)[state.next_index]


def handle_inbound(
    state: ConversationState | None,
    patient: PatientContext,
    text: str | None,
    now: datetime,
    opt_out_type: str | None = None,
) -> Outcome:
    """Handle one inbound text. Never raises on any text.

    Order: keywords on the whole message, then risk phrases (always, even while opted out or
    from an unknown number), then the open conversation. The safety reply is always first.
    """
    body = text if isinstance(text, str) else ""
    lang = _lang(patient)
    replies: list[Reply] = []
    events: list[Event] = []
    phrase = find_risk_phrase(body)
    if phrase:
        events.append(Event("risk_signal", {"source": "phrase", "phrase": phrase}))
        replies.append(Reply("safety_reply", texts.safety_reply(lang)))

    found = parse.keyword(body, patient.opted_out, opt_out_type)
    if found is not None:
        # Our own keywords never contain a risk phrase, but Twilio's OptOutType can come with
        # any body (a clinic's custom keyword): the risk signal and safety reply still come first.
        outcome = _keyword(state, patient, *found, via_twilio=bool(opt_out_type))
        outcome = Outcome(
            outcome.state,
            tuple(replies) + outcome.replies,
            tuple(events) + outcome.events,
            outcome.closed_reason,
        )
        return _stamp(outcome, now)

    if not patient.known:
        # No PHI: we do not know who this is, so only the clinic's own number is given.
        events.append(Event("unknown_number"))
        replies.append(Reply("unknown_number", texts.unknown_number(lang, patient.clinic_phone)))
        return Outcome(None, tuple(replies), tuple(events))
    if patient.opted_out:
        # Opted out: no reply to ordinary texts, but a risk phrase above still got one.
        if not phrase:
            events.append(Event("ignored_while_opted_out"))
        return Outcome(state, tuple(replies), tuple(events))
    if state is None:
        if not phrase:
            events.append(Event("free_text", {"text": body}))
            replies.append(
                Reply(
                    "no_open_conversation",
                    texts.no_open_conversation(lang, patient.clinic_phone),
                )
            )
        return Outcome(None, tuple(replies), tuple(events))

    if state.kind == CHECKIN:
        outcome = _checkin_reply(state, patient, body, risk_replied=bool(phrase))
    else:
        outcome = _contact_reply(state, patient, body, risk_replied=bool(phrase))
    merged = Outcome(
        outcome.state,
        tuple(replies) + outcome.replies,
        tuple(events) + outcome.events,
        outcome.closed_reason,
    )
    return _stamp(merged, now)


def _stamp(outcome: Outcome, now: datetime) -> Outcome:
    # Any reply sent while a conversation stays open restarts its reminder and expiry clocks.
    if outcome.state is not None and outcome.replies:
        return Outcome(
            outcome.state.evolve(last_outbound_at=now),
            outcome.replies,
            outcome.events,
            outcome.closed_reason,
        )
    return outcome


def _keyword(
    state: ConversationState | None,
    patient: PatientContext,
    action: str,
    word: str,
    via_twilio: bool,
) -> Outcome:
    lang = _lang(patient)
    via = "OptOutType" if via_twilio else "keyword"
    if action == parse.OPT_OUT:
        data = {"keyword": word, "via": via, "already": patient.opted_out}
        if state is not None:
            event = _closing_event("opted_out", state, **data)
        else:
            nothing_open = {"conversation": None, "instrument": None, "answers": None}
            event = Event("opted_out", {**data, **nothing_open})
        replies: tuple[Reply, ...] = ()
        if not patient.opted_out:  # a second STOP gets no second confirmation
            text = texts.optout_confirm(lang, patient.clinic_name, patient.clinic_phone)
            replies = (Reply("optout_confirm", text),)
        closed = "opted_out" if state is not None else None
        return Outcome(None, replies, (event,), closed)
    if action == parse.OPT_IN:
        event = Event("opted_in", {"keyword": word, "via": via, "already": not patient.opted_out})
        reply = Reply("optin_confirm", texts.optin_confirm(lang, patient.clinic_name))
        return Outcome(state, (reply,), (event,))
    # HELP leaves an open conversation as it was; it is not an invalid answer.
    event = Event("help", {"keyword": word, "via": via})
    reply = Reply("help", texts.help_text(lang, patient.clinic_name, patient.clinic_phone))
    return Outcome(state, (reply,), (event,))


def _invalid(
    state: ConversationState, patient: PatientContext, item: int | None, reask: Reply
) -> Outcome:
    """An unreadable reply: re-ask once with a hint; the second in a row waits for a person."""
    streak = state.invalid_streak + 1
    base = {"conversation": state.kind, "instrument": state.instrument, "item": item}
    events = [Event("invalid_reply", {**base, "streak": streak})]
    new_state = state.evolve(invalid_streak=streak)
    if state.waiting_for_person:
        # Already told a person will be in touch; more automatic replies would only nag.
        return Outcome(new_state, (), tuple(events))
    if streak == 1:
        return Outcome(new_state, (reask,), tuple(events))
    events.append(Event("needs_person", {**base, "reason": "invalid_replies"}))
    ack = Reply("needs_person_ack", texts.needs_person_ack(_lang(patient), patient.clinic_phone))
    return Outcome(new_state.evolve(waiting_for_person=True), (ack,), tuple(events))


def _checkin_reply(
    state: ConversationState, patient: PatientContext, body: str, risk_replied: bool
) -> Outcome:
    lang = _lang(patient)
    instrument = instruments.get(state.instrument)
    numbers = _item_numbers(state)
    index = state.next_index
    if index is None:  # a stored state with nothing left to ask: close it, never raise
        return Outcome(None, (), (), "completed")
    words = _option_words(state.instrument, index)
    parsed = parse.answers(body, state.remaining, words)
    if parsed is None:
        if risk_replied:
            # After a risk phrase, the safety reply stands alone: re-asking a questionnaire
            # item would read as not listening. The item waits; it is not counted as invalid.
            return Outcome(state)
        reask = Reply("reask", texts.reask(lang, state.instrument, numbers[index]))
        return _invalid(state, patient, numbers[index], reask)

    answers = list(state.answers)
    events: list[Event] = []
    risk = False
    for value in parsed:
        slot = answers.index(None)
        answers[slot] = value
        item = numbers[slot]
        events.append(
            Event("answer_stored", {"instrument": state.instrument, "item": item, "value": value})
        )
        if item == instrument.risk_item and value > 0:
            risk = True
            data = {"source": "item9", "instrument": state.instrument, "item": item}
            events.append(Event("risk_signal", {**data, "value": value}))
    replies: list[Reply] = []
    if risk and not risk_replied:
        replies.append(Reply("safety_reply", texts.safety_reply(lang)))
    # A readable answer resumes a conversation that was waiting for a person.
    new_state = state.evolve(answers=tuple(answers), invalid_streak=0, waiting_for_person=False)
    if new_state.next_index is None:
        events.append(
            Event("assessment_completed", {"instrument": state.instrument, "answers": answers})
        )
        replies.append(Reply("checkin_complete", texts.checkin_complete(lang, patient.first_name)))
        return Outcome(None, tuple(replies), tuple(events), "completed")
    next_number = numbers[new_state.next_index]
    replies.append(Reply("next_item", texts.next_item(lang, state.instrument, next_number)))
    return Outcome(new_state, tuple(replies), tuple(events))


def _contact_reply(
    state: ConversationState, patient: PatientContext, body: str, risk_replied: bool
) -> Outcome:
    lang = _lang(patient)
    choice = parse.contact_choice(body)
    data = {"contact_when": state.contact_when}
    if choice == "confirm":
        reply = Reply("contact_confirmed", texts.contact_confirmed(lang, state.contact_when))
        return Outcome(None, (reply,), (Event("contact_confirmed", data),), "confirmed")
    if choice == "reschedule":
        reply = Reply(
            "contact_reschedule_ack", texts.contact_reschedule_ack(lang, patient.clinic_phone)
        )
        event = Event("reschedule_requested", data)
        return Outcome(None, (reply,), (event,), "reschedule_requested")
    if risk_replied:
        return Outcome(state)
    return _invalid(state, patient, None, Reply("contact_reask", texts.contact_reask(lang)))


def _require_reachable(patient: PatientContext) -> None:
    if not patient.known or patient.opted_out:
        raise ValueError("cannot start a conversation with an unknown or opted-out patient")


def _open(
    existing: ConversationState | None, state: ConversationState, started: Event, reply: Reply
) -> Outcome:
    if existing is None:
        return Outcome(state, (reply,), (started,))
    return Outcome(state, (reply,), (_closing_event("superseded", existing), started), "superseded")


def start_checkin(
    instrument_code: str,
    patient: PatientContext,
    now: datetime,
    existing: ConversationState | None = None,
) -> Outcome:
    """Open a check-in and send its first item, superseding ``existing`` (answers kept).

    Raises ValueError for an unknown instrument, an unknown or an opted-out patient.
    """
    _require_reachable(patient)
    instrument = instruments.get(instrument_code)
    state = ConversationState(
        kind=CHECKIN,
        instrument=instrument.code,
        answers=(None,) * len(instrument.scored_items),
        opened_at=now,
        last_outbound_at=now,
    )
    started = Event(
        "checkin_started",
        {"instrument": instrument.code, "items": len(instrument.scored_items)},
    )
    text = texts.checkin_open(_lang(patient), patient.first_name, instrument.code)
    return _open(existing, state, started, Reply("checkin_open", text))


def start_contact_confirmation(
    patient: PatientContext,
    now: datetime,
    contact_when_text: str,
    existing: ConversationState | None = None,
) -> Outcome:
    """Ask the patient to confirm the next contact ("Reply C to confirm or R to reschedule.").

    ``contact_when_text`` is already written in the patient's language and time zone, e.g.
    "on Tue, Mar 12 around 2:30 PM". Supersedes ``existing`` like ``start_checkin``.
    """
    _require_reachable(patient)
    state = ConversationState(
        kind=CONTACT_CONFIRM,
        instrument=None,
        answers=(),
        opened_at=now,
        last_outbound_at=now,
        contact_when=contact_when_text,
    )
    started = Event("contact_confirmation_started", {"contact_when": contact_when_text})
    text = texts.contact_confirm_request(
        _lang(patient), patient.first_name, patient.clinic_name, contact_when_text
    )
    reply = Reply("contact_confirm_request", text)
    return _open(existing, state, started, reply)


def due_action(state: ConversationState | None, now: datetime) -> str | None:
    """``"expire"`` 24 h after the last outbound message, ``"remind"`` once after 4 h, else None.

    Whether a reminder may go now (the patient's allowed window) is the caller's decision.
    """
    if state is None:
        return None
    quiet = now - state.last_outbound_at
    if quiet >= EXPIRE_AFTER:
        return "expire"
    if quiet >= REMIND_AFTER and not state.reminded and not state.waiting_for_person:
        return "remind"
    return None


def remind(state: ConversationState, patient: PatientContext, now: datetime) -> Outcome:
    """Send the one reminder. A no-op (no reply) if already reminded or the patient opted out."""
    if state.reminded or patient.opted_out or not patient.known:
        return Outcome(state)
    lang = _lang(patient)
    item = _current_item(state)
    if state.kind == CHECKIN and item is not None:
        text = texts.reminder(lang, patient.first_name, state.instrument, item)
        reply = Reply("reminder", text)
    else:
        text = texts.contact_confirm_request(
            lang, patient.first_name, patient.clinic_name, state.contact_when or ""
        )
        reply = Reply("contact_confirm_request", text)
    event = Event(
        "reminded", {"conversation": state.kind, "instrument": state.instrument, "item": item}
    )
    new_state = state.evolve(reminded=True, last_outbound_at=now)
    return Outcome(new_state, (reply,), (event,))


def expire(state: ConversationState, now: datetime) -> Outcome:
    """Close an unanswered conversation, keeping its partial answers; nothing is sent."""
    answered = sum(a is not None for a in state.answers)
    event = _closing_event("expired", state, answered=answered, expired_at=now)
    return Outcome(None, (), (event,), "expired")
