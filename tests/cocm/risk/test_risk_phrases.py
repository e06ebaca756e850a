"""The risk phrase list (DESIGN section 5.1): every phrase is caught however it is typed."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cocm.risk.phrases import PHRASES, find_risk_phrase, normalize

ALL = [(lang, phrase) for lang, phrases in PHRASES.items() for phrase in phrases]


def test_every_supported_language_has_a_list():
    assert set(PHRASES) == {"en", "es"}
    for phrase in ("suicide", "kill myself", "end my life", "want to die", "hurt myself"):
        assert phrase in PHRASES["en"]
    for phrase in ("overdose", "better off dead", "no reason to live", "self harm"):
        assert phrase in PHRASES["en"]
    for phrase in ("suicidio", "matarme", "quitarme la vida", "quiero morir", "sobredosis"):
        assert phrase in PHRASES["es"]


@pytest.mark.parametrize(("lang", "phrase"), ALL)
def test_phrase_caught_inside_a_longer_message(lang, phrase):
    assert find_risk_phrase(f"ok so today was hard and {phrase} is all I think about") is not None


@pytest.mark.parametrize(("lang", "phrase"), ALL)
def test_phrase_caught_in_upper_case_with_punctuation(lang, phrase):
    assert find_risk_phrase(f"HONESTLY...{phrase.upper()}!!!") is not None


@pytest.mark.parametrize(("lang", "phrase"), ALL)
def test_phrase_caught_with_extra_spaces_and_curly_apostrophes(lang, phrase):
    spaced = "   ".join(phrase.split()).replace("'", "\u2019")
    assert find_risk_phrase(f"\t{spaced}\n") is not None


@pytest.mark.parametrize(("lang", "phrase"), ALL)
def test_phrase_reported_as_written_in_the_list(lang, phrase):
    # The longest phrase at a position wins, so a phrase reports itself or a longer one.
    found = find_risk_phrase(f"- {phrase} -")
    assert found is not None
    assert normalize(phrase) in normalize(found)


@pytest.mark.parametrize(
    "text",
    [
        "I want to die",
        "i wanna DIE",
        "Sometimes I think I'd be better off dead.",
        "I don't want to live anymore",
        "I don\u2019t want to live anymore",
        "I dont want to live",
        "SELF-HARM again",
        "thinking of suicide",
        "I am suicidal",
        "Me quiero suicidar",
        "quiero quitarme la vida",
        "ya no quiero vivir",
        "QUIERO MORIRME",
        "voy a hacerme dano",
        "voy a hacerme daño",
        "estaría mejor muerta",
        "Sin razon para vivir",
        "tomé una SOBREDOSIS",
        "\uff4b\uff49\uff4c\uff4c myself",  # full-width letters
    ],
)
def test_real_world_variants_are_caught(text):
    assert find_risk_phrase(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "2",
        "Several days",
        "I'm feeling a lot better this week, thanks",
        "Can we move my appointment to Tuesday?",
        "I want to diet before summer",
        "I picked up some skills myself",
        "I hurt my back at work",
        "We are killing time at the clinic",
        "the bill is overdue",
        "mi hija está mejor",
        "Varios días",
        "STOP",
        "",
        "   ",
    ],
)
def test_ordinary_messages_are_not_caught(text):
    assert find_risk_phrase(text) is None


def test_word_boundaries_are_respected():
    assert find_risk_phrase("I skill myself daily") is None
    assert find_risk_phrase("preoverdose") is None
    assert find_risk_phrase("overdose.") == "overdose"


def test_none_emoji_and_long_bodies_do_not_raise():
    assert find_risk_phrase(None) is None
    assert find_risk_phrase("😀" * 2000) is None
    assert find_risk_phrase("a" * 2000) is None
    assert find_risk_phrase("😀 " * 500 + "kill myself") == "kill myself"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=2000))
def test_any_text_never_raises(text):
    found = find_risk_phrase(text)
    assert found is None or any(found in phrases for phrases in PHRASES.values())
