"""Contact confirmation by text: "Reply C to confirm or R to reschedule." (DESIGN section 6)."""

from __future__ import annotations

import pytest

from cocm.conversation import handle_inbound, start_checkin, start_contact_confirmation

from .helpers import EN, ES, T0, events_of, reply_kinds, say

WHEN = "on Tuesday, March 12 around 2:30 PM"


def asked(who=EN):
    return start_contact_confirmation(who, T0, WHEN).state


def test_request_text_and_state():
    outcome = start_contact_confirmation(EN, T0, WHEN)
    assert reply_kinds(outcome) == ["contact_confirm_request"]
    assert outcome.replies[0].text.endswith("Reply C to confirm or R to reschedule.")
    assert WHEN in outcome.replies[0].text
    assert outcome.state.kind == "contact_confirm" and outcome.state.contact_when == WHEN
    assert events_of(outcome, "contact_confirmation_started") == [{"contact_when": WHEN}]


@pytest.mark.parametrize(
    "text", ["C", "c", "CONFIRM", "confirm", "Y", "y", "YES", "Yes", "OK", "ok", " Ok! ", "Sí"]
)
def test_each_confirm_synonym(text):
    outcome = handle_inbound(asked(), EN, text, T0)
    assert events_of(outcome, "contact_confirmed") == [{"contact_when": WHEN}]
    assert reply_kinds(outcome) == ["contact_confirmed"]
    assert outcome.state is None and outcome.closed_reason == "confirmed"


@pytest.mark.parametrize("text", ["R", "r", "RESCHEDULE", "reschedule", "N", "n", "NO", "No."])
def test_each_reschedule_synonym(text):
    outcome = handle_inbound(asked(), EN, text, T0)
    assert events_of(outcome, "reschedule_requested") == [{"contact_when": WHEN}]
    assert reply_kinds(outcome) == ["contact_reschedule_ack"]
    assert outcome.state is None and outcome.closed_reason == "reschedule_requested"


def test_unreadable_reply_reasks_then_needs_a_person():
    first, second = say(asked(), EN, "yes please", "maybe thursday?")
    assert reply_kinds(first) == ["contact_reask"]
    assert "Reply C to confirm or R to reschedule." in first.replies[0].text
    assert reply_kinds(second) == ["needs_person_ack"]
    assert events_of(second, "needs_person")[0]["conversation"] == "contact_confirm"
    assert second.state.waiting_for_person
    # A readable choice still closes it.
    assert handle_inbound(second.state, EN, "C", T0).closed_reason == "confirmed"


def test_digits_do_not_confirm():
    assert reply_kinds(handle_inbound(asked(), EN, "1", T0)) == ["contact_reask"]


def test_spanish_request():
    outcome = start_contact_confirmation(ES, T0, "el martes 12 de marzo")
    assert "Responda C para confirmar o R para cambiar la fecha." in outcome.replies[0].text
    confirmed = handle_inbound(outcome.state, ES, "c", T0)
    assert confirmed.replies[0].text.startswith("Gracias")


def test_risk_phrase_during_contact_confirmation():
    outcome = handle_inbound(asked(), EN, "no, I want to die", T0)
    assert outcome.event_kinds() == ("risk_signal",)
    assert reply_kinds(outcome) == ["safety_reply"]
    assert outcome.state.kind == "contact_confirm" and outcome.state.invalid_streak == 0


def test_contact_confirmation_supersedes_an_open_checkin():
    checkin = say(start_checkin("PHQ-9", EN, T0).state, EN, "2")[-1].state
    outcome = start_contact_confirmation(EN, T0, WHEN, existing=checkin)
    assert outcome.closed_reason == "superseded"
    assert events_of(outcome, "superseded")[0]["answers"] == [2] + [None] * 8
    assert outcome.state.kind == "contact_confirm"
