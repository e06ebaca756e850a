"""No reply: one reminder after 4 hours, expiry 24 hours after the last outbound message."""

from __future__ import annotations

from datetime import timedelta

from cocm.conversation import (
    due_action,
    expire,
    handle_inbound,
    remind,
    start_checkin,
    start_contact_confirmation,
)

from .helpers import EN, ES, OPTED_OUT, T0, events_of, reply_kinds, say

H = timedelta(hours=1)
M = timedelta(minutes=1)


def opened():
    return start_checkin("PHQ-9", EN, T0).state


def test_reminder_is_due_at_four_hours_not_before():
    state = opened()
    assert due_action(state, T0) is None
    assert due_action(state, T0 + 3 * H + 59 * M) is None
    assert due_action(state, T0 + 4 * H) == "remind"
    assert due_action(None, T0 + 4 * H) is None


def test_reminder_repeats_the_waiting_item_once():
    state = say(opened(), EN, "1", "2")[-1].state
    outcome = remind(state, EN, T0 + 4 * H)
    assert reply_kinds(outcome) == ["reminder"]
    assert "(3/9) Trouble falling or staying asleep" in outcome.replies[0].text
    assert events_of(outcome, "reminded") == [
        {"conversation": "checkin", "instrument": "PHQ-9", "item": 3}
    ]
    assert outcome.state.reminded and outcome.state.last_outbound_at == T0 + 4 * H
    assert due_action(outcome.state, T0 + 20 * H) is None
    # A second call is a no-op, so a job that runs twice sends one reminder.
    assert remind(outcome.state, EN, T0 + 5 * H).replies == ()


def test_expiry_is_24_hours_after_the_last_outbound_message():
    state = opened()
    assert due_action(state, T0 + 23 * H + 59 * M) == "remind"
    assert due_action(state, T0 + 24 * H) == "expire"
    reminded = remind(state, EN, T0 + 4 * H).state
    assert due_action(reminded, T0 + 27 * H + 59 * M) is None
    assert due_action(reminded, T0 + 28 * H) == "expire"


def test_a_reply_restarts_the_clock():
    state = opened()
    later = handle_inbound(state, EN, "1", T0 + 3 * H).state
    assert later.last_outbound_at == T0 + 3 * H
    assert due_action(later, T0 + 6 * H + 59 * M) is None
    assert due_action(later, T0 + 7 * H) == "remind"


def test_waiting_for_a_person_gets_no_reminder_but_still_expires():
    state = say(opened(), EN, "??", "??")[-1].state
    assert state.waiting_for_person
    assert due_action(state, T0 + 5 * H) is None
    assert due_action(state, T0 + 24 * H) == "expire"


def test_expire_keeps_partial_answers_and_sends_nothing():
    state = say(opened(), EN, "1", "3", "0")[-1].state
    outcome = expire(state, T0 + 24 * H)
    assert outcome.state is None and outcome.closed_reason == "expired"
    assert outcome.replies == ()
    [data] = events_of(outcome, "expired")
    assert data["answers"] == [1, 3, 0] + [None] * 6
    assert data["answered"] == 3 and data["instrument"] == "PHQ-9"


def test_reminder_for_a_contact_confirmation_repeats_the_request():
    state = start_contact_confirmation(ES, T0, "el martes").state
    outcome = remind(state, ES, T0 + 4 * H)
    assert reply_kinds(outcome) == ["contact_confirm_request"]
    assert "C para confirmar" in outcome.replies[0].text


def test_no_reminder_to_an_opted_out_patient():
    assert remind(opened(), OPTED_OUT, T0 + 4 * H).replies == ()
