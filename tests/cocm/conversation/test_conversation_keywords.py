"""Keywords, opt-out state, unknown numbers and free text (DESIGN sections 5 and 6)."""

from __future__ import annotations

import pytest

from cocm.conversation import handle_inbound, start_checkin, start_contact_confirmation
from cocm.conversation.parse import HELP_WORDS, OPT_IN_WORDS, OPT_OUT_WORDS

from .helpers import EN, FIRST_NAME, OPTED_OUT, T0, UNKNOWN, events_of, reply_kinds, say


def variants(word):
    return [word, word.lower(), word.capitalize(), f"  {word.lower()}  ", f"\n{word}\t", f"{word}."]


def checkin_with_two_answers():
    return say(start_checkin("PHQ-9", EN, T0).state, EN, "1", "2")[-1].state


@pytest.mark.parametrize("text", [v for w in sorted(OPT_OUT_WORDS) for v in variants(w)])
def test_each_opt_out_keyword_in_any_case_closes_the_conversation_keeping_answers(text):
    outcome = handle_inbound(checkin_with_two_answers(), EN, text, T0)
    assert outcome.state is None and outcome.closed_reason == "opted_out"
    [data] = events_of(outcome, "opted_out")
    assert data["keyword"] == text.strip(" \n\t.").upper()
    assert data["via"] == "keyword" and data["already"] is False
    assert data["conversation"] == "checkin" and data["answers"] == [1, 2] + [None] * 7
    assert reply_kinds(outcome) == ["optout_confirm"]
    assert "START" in outcome.replies[0].text


def test_the_opt_out_list_is_exactly_designs():
    assert set(OPT_OUT_WORDS) == {
        "STOP",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPTOUT",
    }
    assert set(OPT_IN_WORDS) == {"START", "UNSTOP"}
    assert set(HELP_WORDS) == {"HELP", "INFO"}


def test_opt_out_with_nothing_open():
    outcome = handle_inbound(None, EN, "STOP", T0)
    assert events_of(outcome, "opted_out")[0]["conversation"] is None
    assert outcome.closed_reason is None and reply_kinds(outcome) == ["optout_confirm"]


@pytest.mark.parametrize(
    "text", ["stop please", "Please stop", "STOP STOP", "can I stop?", "end it", "cancel my visit"]
)
def test_keyword_must_be_the_whole_message(text):
    outcome = handle_inbound(checkin_with_two_answers(), EN, text, T0)
    assert "opted_out" not in outcome.event_kinds()
    assert reply_kinds(outcome) == ["reask"]
    outcome = handle_inbound(None, EN, text, T0)
    assert outcome.event_kinds() == ("free_text",)


@pytest.mark.parametrize("text", [v for w in sorted(OPT_IN_WORDS) for v in variants(w)])
def test_each_opt_in_keyword(text):
    outcome = handle_inbound(None, OPTED_OUT, text, T0)
    assert events_of(outcome, "opted_in") == [
        {"keyword": text.strip(" \n\t.").upper(), "via": "keyword", "already": False}
    ]
    assert reply_kinds(outcome) == ["optin_confirm"]


@pytest.mark.parametrize("text", ["YES", "yes", " Yes "])
def test_yes_opts_in_only_while_opted_out(text):
    assert handle_inbound(None, OPTED_OUT, text, T0).event_kinds() == ("opted_in",)
    assert handle_inbound(None, EN, text, T0).event_kinds() == ("free_text",)


def test_yes_while_opted_out_opts_in_rather_than_confirming():
    state = start_contact_confirmation(EN, T0, "on Tuesday").state
    outcome = handle_inbound(state, OPTED_OUT, "YES", T0)
    assert outcome.event_kinds() == ("opted_in",)
    assert "contact_confirmed" not in outcome.event_kinds()


@pytest.mark.parametrize("text", [v for w in sorted(HELP_WORDS) for v in variants(w)])
def test_help_keyword_leaves_the_conversation_as_it_was(text):
    state = checkin_with_two_answers()
    outcome = handle_inbound(state, EN, text, T0)
    assert outcome.event_kinds() == ("help",)
    assert reply_kinds(outcome) == ["help"]
    assert EN.clinic_phone in outcome.replies[0].text and "STOP" in outcome.replies[0].text
    assert outcome.state.answers == state.answers and outcome.state.invalid_streak == 0


def test_stop_midway_then_start():
    stopped = handle_inbound(checkin_with_two_answers(), EN, "STOP", T0)
    ignored = handle_inbound(stopped.state, OPTED_OUT, "3", T0)
    assert ignored.replies == () and ignored.event_kinds() == ("ignored_while_opted_out",)
    again = handle_inbound(None, OPTED_OUT, "stop", T0)
    assert again.replies == () and events_of(again, "opted_out")[0]["already"] is True
    started = handle_inbound(None, OPTED_OUT, "START", T0)
    assert started.event_kinds() == ("opted_in",) and started.state is None
    # Back in: free text is acknowledged again; the closed check-in does not come back.
    assert handle_inbound(None, EN, "3", T0).event_kinds() == ("free_text",)


def test_risk_phrase_while_opted_out_still_gets_the_safety_reply():
    outcome = handle_inbound(None, OPTED_OUT, "I want to kill myself", T0)
    assert events_of(outcome, "risk_signal") == [{"source": "phrase", "phrase": "kill myself"}]
    assert reply_kinds(outcome) == ["safety_reply"]


def test_help_while_opted_out_is_answered():
    assert reply_kinds(handle_inbound(None, OPTED_OUT, "HELP", T0)) == ["help"]


@pytest.mark.parametrize(
    ("opt_out_type", "kind", "reply"),
    [
        ("STOP", "opted_out", "optout_confirm"),
        ("stop", "opted_out", "optout_confirm"),
        ("START", "opted_in", "optin_confirm"),
        ("HELP", "help", "help"),
    ],
)
def test_twilio_opt_out_type_is_honoured(opt_out_type, kind, reply):
    # Twilio may match keywords we do not know (custom or other languages): its word wins.
    outcome = handle_inbound(checkin_with_two_answers(), EN, "ARRET", T0, opt_out_type)
    [data] = events_of(outcome, kind)
    assert data["via"] == "OptOutType" and data["keyword"] == "ARRET"
    assert reply_kinds(outcome) == [reply]


def test_full_width_keyword_is_a_keyword():
    assert handle_inbound(None, EN, "ＳＴＯＰ", T0).event_kinds() == ("opted_out",)


def test_unknown_opt_out_type_is_ignored():
    outcome = handle_inbound(None, EN, "hello", T0, opt_out_type="")
    assert outcome.event_kinds() == ("free_text",)


def test_keywords_come_before_the_open_conversation():
    state = start_contact_confirmation(EN, T0, "on Tuesday").state
    outcome = handle_inbound(state, EN, "CANCEL", T0)
    assert outcome.event_kinds() == ("opted_out",)
    assert events_of(outcome, "opted_out")[0]["conversation"] == "contact_confirm"


def test_free_text_with_nothing_open_is_acknowledged_for_staff():
    outcome = handle_inbound(None, EN, "Can someone call me about my meds?", T0)
    assert events_of(outcome, "free_text") == [{"text": "Can someone call me about my meds?"}]
    assert reply_kinds(outcome) == ["no_open_conversation"]
    assert outcome.state is None


def test_risk_phrase_with_nothing_open():
    outcome = handle_inbound(None, EN, "thinking about suicide tonight", T0)
    assert outcome.event_kinds() == ("risk_signal",)
    assert reply_kinds(outcome) == ["safety_reply"]


def test_unknown_number_gets_no_phi():
    outcome = handle_inbound(None, UNKNOWN, "Hi, is this Dr. Lee?", T0)
    assert outcome.event_kinds() == ("unknown_number",)
    assert reply_kinds(outcome) == ["unknown_number"]
    assert FIRST_NAME not in outcome.replies[0].text
    assert UNKNOWN.clinic_phone in outcome.replies[0].text
    assert outcome.state is None


def test_unknown_number_with_a_risk_phrase_gets_the_safety_reply_first():
    outcome = handle_inbound(None, UNKNOWN, "i want to die", T0)
    assert outcome.event_kinds() == ("risk_signal", "unknown_number")
    assert reply_kinds(outcome) == ["safety_reply", "unknown_number"]


def test_unknown_number_can_still_opt_out():
    outcome = handle_inbound(None, UNKNOWN, "STOP", T0)
    assert outcome.event_kinds() == ("opted_out",)


@pytest.mark.parametrize(
    "text",
    ["😀", "👍👍👍", "🛑", "\x00", "", None, "a" * 2000, "😀" * 2000, "2" * 2000, "ＳＴＯＰ"],
)
@pytest.mark.parametrize("opened", [True, False])
def test_odd_bodies_never_raise(text, opened):
    state = checkin_with_two_answers() if opened else None
    outcome = handle_inbound(state, EN, text, T0)
    assert isinstance(outcome.replies, tuple)
