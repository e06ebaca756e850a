"""Check-in conversations by text (DESIGN sections 5 and 6): answers, invalid replies, risk."""

from __future__ import annotations

import pytest

from cocm import instruments, texts
from cocm.conversation import handle_inbound, start_checkin

from .helpers import EN, ES, OPTED_OUT, T0, UNKNOWN, events_of, reply_kinds, say


def opened(code="PHQ-9", who=EN):
    return start_checkin(code, who, T0).state


def test_phq9_one_answer_per_message():
    start = start_checkin("PHQ-9", EN, T0)
    assert reply_kinds(start) == ["checkin_open"]
    assert events_of(start, "checkin_started") == [{"instrument": "PHQ-9", "items": 9}]
    assert start.state.answers == (None,) * 9

    outcomes = say(start.state, EN, "1", "2", "0", "3", "1", "2", "0", "1", "0")
    for number, outcome in enumerate(outcomes[:-1], start=1):
        assert events_of(outcome, "answer_stored")[0]["item"] == number
        assert reply_kinds(outcome) == ["next_item"]
        assert outcome.replies[0].text.startswith(f"({number + 1}/9) ")
    last = outcomes[-1]
    assert last.state is None and last.closed_reason == "completed"
    assert reply_kinds(last) == ["checkin_complete"]
    answers = [1, 2, 0, 3, 1, 2, 0, 1, 0]
    assert events_of(last, "assessment_completed") == [{"instrument": "PHQ-9", "answers": answers}]
    result = instruments.score("PHQ-9", answers)
    assert result.complete and result.total == 10


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2", 2),
        (" 2. ", 2),
        ("(3)", 3),
        ("2!", 2),
        ("0\n", 0),
        ("**1**", 1),
        ("2 👍", 2),
        ("Several days", 1),
        ("  more THAN half the days!! ", 2),
        ("Not at all.", 0),
        ("nearly every day", 3),
        ("2 days", 2),
    ],
)
def test_one_answer_formats(text, value):
    outcome = handle_inbound(opened(), EN, text, T0)
    assert events_of(outcome, "answer_stored") == [
        {"instrument": "PHQ-9", "item": 1, "value": value}
    ]
    assert outcome.state.answers[0] == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("varios días", 1), ("VARIOS DIAS", 1), ("Más de la mitad de los días", 2), ("ningun dia", 0)],
)
def test_spanish_option_words(text, value):
    outcome = handle_inbound(opened(who=ES), ES, text, T0)
    assert outcome.state.answers[0] == value
    assert "Varios días" in outcome.replies[0].text  # the next item, in Spanish


@pytest.mark.parametrize(
    "text", ["1 2 0 3 1 2 0 1 0", "120312010", "1,2,0,3,1,2,0,1,0", "12 03 12 010"]
)
def test_all_answers_in_one_reply(text):
    outcome = handle_inbound(opened(), EN, text, T0)
    assert [e["value"] for e in events_of(outcome, "answer_stored")] == [1, 2, 0, 3, 1, 2, 0, 1, 0]
    assert [e["item"] for e in events_of(outcome, "answer_stored")] == list(range(1, 10))
    assert outcome.closed_reason == "completed"
    assert reply_kinds(outcome) == ["checkin_complete"]


def test_remaining_answers_in_one_reply_after_some_singles():
    first, second, rest = say(opened(), EN, "1", "2", "0 3 1 2 0 1 0")
    assert first.state.remaining == 8 and second.state.remaining == 7
    assert len(events_of(rest, "answer_stored")) == 7
    assert events_of(rest, "assessment_completed")[0]["answers"] == [1, 2, 0, 3, 1, 2, 0, 1, 0]


@pytest.mark.parametrize(
    "text", ["12", "1 2 0", "1203120101", "4", "9", "-", "", "😀", "maybe", "2 or 3"]
)
def test_unreadable_replies_are_not_answers(text):
    outcome = handle_inbound(opened(), EN, text, T0)
    assert events_of(outcome, "answer_stored") == []
    assert outcome.state.answers == (None,) * 9
    assert reply_kinds(outcome) == ["reask"]


def test_invalid_reask_then_needs_person_then_waits_then_resumes():
    state = handle_inbound(opened(), EN, "1", T0).state
    second, third, waiting = say(state, EN, "hello", "what?", "huh")
    assert reply_kinds(second) == ["reask"]
    assert "(2/9)" in second.replies[0].text and "one number from 0 to 3" in second.replies[0].text
    assert events_of(second, "invalid_reply") == [
        {"conversation": "checkin", "instrument": "PHQ-9", "item": 2, "streak": 1}
    ]
    assert reply_kinds(third) == ["needs_person_ack"]
    assert events_of(third, "needs_person") == [
        {"conversation": "checkin", "instrument": "PHQ-9", "item": 2, "reason": "invalid_replies"}
    ]
    assert third.state.waiting_for_person
    # While waiting, unreadable replies get no automatic answer.
    assert waiting.replies == () and waiting.state.waiting_for_person
    assert events_of(waiting, "needs_person") == []
    back = handle_inbound(waiting.state, EN, "3", T0)
    assert not back.state.waiting_for_person and back.state.invalid_streak == 0
    assert back.state.answers[:2] == (1, 3)
    assert reply_kinds(back) == ["next_item"]


def test_a_valid_answer_breaks_the_invalid_streak():
    outcomes = say(opened(), EN, "hello", "1", "what?")
    assert [reply_kinds(o) for o in outcomes] == [["reask"], ["next_item"], ["reask"]]
    assert not any(events_of(o, "needs_person") for o in outcomes)


@pytest.mark.parametrize("value", [1, 2, 3])
def test_item9_above_zero_is_a_risk_signal_and_the_answer_is_stored(value):
    *_, ninth = say(opened(), EN, "0", "0", "0", "0", "0", "0", "0", "0", str(value))
    assert events_of(ninth, "answer_stored") == [{"instrument": "PHQ-9", "item": 9, "value": value}]
    assert events_of(ninth, "risk_signal") == [
        {"source": "item9", "instrument": "PHQ-9", "item": 9, "value": value}
    ]
    assert reply_kinds(ninth) == ["safety_reply", "checkin_complete"]
    assert "988" in ninth.replies[0].text and "911" in ninth.replies[0].text
    assert events_of(ninth, "assessment_completed")[0]["answers"][-1] == value


def test_item9_zero_is_not_a_risk_signal():
    *_, ninth = say(opened(), EN, "0", "0", "0", "0", "0", "0", "0", "0", "0")
    assert events_of(ninth, "risk_signal") == []
    assert reply_kinds(ninth) == ["checkin_complete"]


def test_item9_in_an_all_at_once_reply():
    outcome = handle_inbound(opened(), EN, "000000002", T0)
    assert events_of(outcome, "risk_signal")[0]["source"] == "item9"
    assert reply_kinds(outcome) == ["safety_reply", "checkin_complete"]


def test_only_phq9_has_a_risk_item():
    outcome = handle_inbound(opened("GAD-7"), EN, "3333333", T0)
    assert events_of(outcome, "risk_signal") == []
    outcome = handle_inbound(opened("PHQ-2"), EN, "33", T0)
    assert events_of(outcome, "risk_signal") == []


def test_risk_phrase_inside_a_valid_answer_keeps_the_answer():
    outcome = handle_inbound(opened(), EN, "2 - honestly I want to die", T0)
    assert events_of(outcome, "risk_signal") == [{"source": "phrase", "phrase": "want to die"}]
    assert events_of(outcome, "answer_stored") == [{"instrument": "PHQ-9", "item": 1, "value": 2}]
    assert reply_kinds(outcome) == ["safety_reply", "next_item"]


def test_risk_phrase_and_item9_send_one_safety_reply():
    state = say(opened(), EN, *"00000000")[-1].state
    assert state.remaining == 1
    outcome = handle_inbound(state, EN, "3, I want to kill myself", T0)
    assert [e["source"] for e in events_of(outcome, "risk_signal")] == ["phrase", "item9"]
    assert reply_kinds(outcome) == ["safety_reply", "checkin_complete"]


def test_risk_phrase_alone_gets_the_safety_reply_and_the_item_waits():
    state = opened()
    outcome = handle_inbound(state, EN, "I can't do this, I want to end my life", T0)
    assert events_of(outcome, "risk_signal") == [{"source": "phrase", "phrase": "end my life"}]
    assert reply_kinds(outcome) == ["safety_reply"]
    assert events_of(outcome, "invalid_reply") == []
    assert outcome.state.answers == state.answers and outcome.state.invalid_streak == 0


def test_spanish_risk_phrase_from_an_english_patient():
    outcome = handle_inbound(opened(), EN, "ya no quiero vivir", T0)
    assert events_of(outcome, "risk_signal")[0]["phrase"] == "no quiero vivir"
    assert reply_kinds(outcome) == ["safety_reply"]


def test_spanish_conversation_all_at_once():
    start = start_checkin("GAD-7", ES, T0)
    assert start.replies[0].text.startswith("Hola Maximiliana-Josefina.")
    outcome = handle_inbound(start.state, ES, "1 1 2 0 3 0 1", T0)
    assert outcome.closed_reason == "completed"
    assert outcome.replies[0].text == texts.checkin_complete("es", ES.first_name)


def test_supersede_keeps_the_old_answers():
    state = say(opened(), EN, "1", "2")[-1].state
    outcome = start_checkin("GAD-7", EN, T0, existing=state)
    assert outcome.closed_reason == "superseded"
    assert events_of(outcome, "superseded") == [
        {"conversation": "checkin", "instrument": "PHQ-9", "answers": [1, 2] + [None] * 7}
    ]
    assert outcome.state.instrument == "GAD-7" and outcome.state.answers == (None,) * 7
    assert reply_kinds(outcome) == ["checkin_open"]
    assert outcome.event_kinds() == ("superseded", "checkin_started")


def test_start_checkin_refuses_what_it_cannot_do():
    with pytest.raises(ValueError):
        start_checkin("PHQ-99", EN, T0)
    with pytest.raises(ValueError):
        start_checkin("PHQ-9", OPTED_OUT, T0)
    with pytest.raises(ValueError):
        start_checkin("PHQ-9", UNKNOWN, T0)
