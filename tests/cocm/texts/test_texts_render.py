"""Every kind of message, in every language, rendered with long-ish context and held to its
budget (English 2 GSM-7 segments, Spanish 3) and to DESIGN section 6's content rules."""

from __future__ import annotations

import re

import jinja2
import pytest

from cocm import instruments, texts
from cocm.risk.phrases import normalize
from cocm.texts import items
from cocm.texts.render import TEMPLATES

FIRST = "Maximiliana-Josefina"  # 20 characters
CLINIC = "Northwest Community Family Health Center"  # 40 characters
CARE_MANAGER = "Dr. Alexandra Montgomery"
PHONE = "(555) 555-0123"
WHEN = {"en": "on Tuesday, March 12 around 2:30 PM", "es": "el martes 12 de marzo a las 2:30 p. m."}
LINK = "https://care.example-health.org/staff/queue/12345"
CODES = tuple(instruments.INSTRUMENTS)
BUDGET = {"en": 2, "es": 3}
FORBIDDEN = re.compile(
    r"\b(phq\w*|gad\w*|depression|anxiety|scores?|diagnos\w*|depresion|ansiedad|puntaje|"
    r"puntuacion|diagnostico)\b"
)


def renderings(lang: str, first_name: str | None = FIRST) -> dict[str, list[str]]:
    """Every kind rendered in ``lang``; item-bearing kinds once per item of every instrument."""
    out: dict[str, list[str]] = {
        "welcome": [texts.welcome(lang, first_name, CLINIC, CARE_MANAGER, 14)],
        "checkin_open": [texts.checkin_open(lang, first_name, code) for code in CODES],
        "checkin_complete": [texts.checkin_complete(lang, first_name)],
        "safety_reply": [texts.safety_reply(lang)],
        "help": [texts.help_text(lang, CLINIC, PHONE)],
        "optout_confirm": [texts.optout_confirm(lang, CLINIC, PHONE)],
        "optin_confirm": [texts.optin_confirm(lang, CLINIC)],
        "contact_confirm_request": [
            texts.contact_confirm_request(lang, first_name, CLINIC, WHEN[lang])
        ],
        "contact_reask": [texts.contact_reask(lang)],
        "contact_confirmed": [texts.contact_confirmed(lang, WHEN[lang])],
        "contact_reschedule_ack": [texts.contact_reschedule_ack(lang, PHONE)],
        "unknown_number": [texts.unknown_number(lang, PHONE), texts.unknown_number(lang)],
        "no_open_conversation": [texts.no_open_conversation(lang, PHONE)],
        "needs_person_ack": [texts.needs_person_ack(lang, PHONE)],
        "staff_page": [texts.staff_page(lang, LINK), texts.staff_page(lang, LINK, drill=True)],
        "portal_code": [texts.portal_code(lang, "123456")],
        "expired": [texts.expired(lang, PHONE)],
        "next_item": [],
        "reask": [],
        "reminder": [],
    }
    for code in CODES:
        for number in items.scored_numbers(code):
            out["next_item"].append(texts.next_item(lang, code, number))
            out["reask"].append(texts.reask(lang, code, number))
            out["reminder"].append(texts.reminder(lang, first_name, code, number))
    return out


CASES = [
    (lang, kind, text)
    for lang in texts.LANGUAGES
    for kind, rendered in renderings(lang).items()
    for text in rendered
]


def test_every_kind_is_rendered_in_every_language():
    for lang in texts.LANGUAGES:
        assert set(renderings(lang)) == set(texts.KINDS)
        for kind in texts.KINDS:
            assert (TEMPLATES / lang / f"{kind}.txt").is_file()
    assert {p.stem for p in TEMPLATES.glob("*/*.txt")} == set(texts.KINDS)


@pytest.mark.parametrize(("lang", "kind", "text"), CASES)
def test_within_segment_budget(lang, kind, text):
    assert texts.segments(text) <= BUDGET[lang], text
    if lang == "en":
        assert texts.encoding(text) == "GSM-7", text


@pytest.mark.parametrize(("lang", "kind", "text"), CASES)
def test_no_diagnosis_score_or_instrument_name(lang, kind, text):
    assert not FORBIDDEN.search(normalize(text)), text


@pytest.mark.parametrize(("lang", "kind", "text"), CASES)
def test_rendered_cleanly(lang, kind, text):
    assert text == text.strip()
    assert "  " not in text
    assert "None" not in text
    assert "{" not in text and "}" not in text


@pytest.mark.parametrize("lang", texts.LANGUAGES)
def test_without_first_name(lang):
    for kind, rendered in renderings(lang, first_name=None).items():
        for text in rendered:
            assert FIRST not in text
            assert "None" not in text
            assert " ," not in text and " ." not in text, (kind, text)
            assert texts.segments(text) <= BUDGET[lang]


def test_first_name_only_is_used():
    assert texts.checkin_open("en", "Ana", "PHQ-9").startswith("Hi Ana,")
    assert texts.checkin_open("es", "Ana", "PHQ-9").startswith("Hola Ana.")


@pytest.mark.parametrize("lang", texts.LANGUAGES)
def test_safety_reply_gives_988_911_and_the_care_team(lang):
    text = texts.safety_reply(lang)
    assert "988" in text and "911" in text
    assert ("text" in text and "call" in text) if lang == "en" else ("envíe" in text)
    assert ("care team will contact you" in text) if lang == "en" else ("equipo" in text)


def test_contact_confirm_request_sentence_is_exact():
    text = texts.contact_confirm_request("en", "Ana", CLINIC, WHEN["en"])
    assert text.endswith("Reply C to confirm or R to reschedule.")
    assert WHEN["en"] in text
    es = texts.contact_confirm_request("es", "Ana", CLINIC, WHEN["es"])
    assert "C para confirmar" in es and "R para" in es


@pytest.mark.parametrize("lang", texts.LANGUAGES)
def test_how_to_stop_and_get_help(lang):
    assert "STOP" in texts.welcome(lang, FIRST, CLINIC, CARE_MANAGER, 14)
    assert "HELP" in texts.welcome(lang, FIRST, CLINIC, CARE_MANAGER, 14)
    help_text = texts.help_text(lang, CLINIC, PHONE)
    assert "STOP" in help_text and PHONE in help_text and CLINIC in help_text
    assert "988" in help_text
    assert "START" in texts.optout_confirm(lang, CLINIC, PHONE)
    assert "STOP" in texts.optin_confirm(lang, CLINIC)


def test_welcome_says_who_and_how_often():
    text = texts.welcome("en", "Ana", CLINIC, CARE_MANAGER, 14)
    assert CLINIC in text and CARE_MANAGER in text and "every 14 days" in text
    assert "Your care manager" in texts.welcome("en", "Ana", CLINIC, None, 28)


def test_checkin_open_has_greeting_stem_item_and_how_to_answer():
    text = texts.checkin_open("en", "Ana", "PHQ-9")
    assert text.startswith("Hi Ana")
    assert "Over the last 2 weeks" in text
    assert "Little interest or pleasure in doing things" in text
    assert (
        "Reply 0-3: 0 Not at all, 1 Several days, 2 More than half the days, 3 Nearly every day"
        in text
    )
    es = texts.checkin_open("es", "Ana", "PHQ-9")
    assert "Poco interés o placer en hacer cosas" in es
    assert "1 Varios días" in es


@pytest.mark.parametrize("code", CODES)
@pytest.mark.parametrize("lang", texts.LANGUAGES)
def test_every_asked_item_has_an_sms_wording(code, lang):
    numbers = items.scored_numbers(code)
    assert len(numbers) == len(instruments.get(code).scored_items)
    for position, number in enumerate(numbers, start=1):
        text = texts.next_item(lang, code, number)
        assert text.startswith(f"({position}/{len(numbers)}) ")
        assert items.item_text(code, number, lang) in text


def test_phq9_item_10_is_not_asked_by_text():
    assert items.scored_numbers("PHQ-9") == tuple(range(1, 10))
    with pytest.raises(ValueError):
        texts.next_item("en", "PHQ-9", 10)


def test_staff_page_carries_only_a_link_and_drill_says_so():
    page = texts.staff_page("en", LINK)
    assert LINK in page and "DRILL" not in page
    assert texts.staff_page("en", LINK, drill=True).startswith("DRILL")
    assert texts.staff_page("es", LINK, drill=True).startswith("SIMULACRO")


def test_portal_code():
    assert "654321" in texts.portal_code("en", "654321")
    assert "5 minutes" in texts.portal_code("en", "654321", minutes=5)


def test_unknown_number_asks_to_call_the_clinic():
    assert "call your clinic at (555) 555-0123" in texts.unknown_number("en", PHONE)
    assert "call your clinic." in texts.unknown_number("en")


def test_render_is_strict():
    with pytest.raises(jinja2.UndefinedError):
        texts.render("welcome", "en")
    with pytest.raises(ValueError):
        texts.render("no_such_kind", "en")


@pytest.mark.parametrize(
    ("given", "expected"), [("en", "en"), ("es", "es"), ("es-MX", "es"), ("fr", "en"), (None, "en")]
)
def test_language_falls_back_to_english(given, expected):
    assert texts.language(given) == expected


def test_unsupported_language_renders_english():
    assert texts.safety_reply("fr") == texts.safety_reply("en")


def test_regional_language_tag_renders_that_language_throughout():
    assert texts.next_item("es-MX", "PHQ-9", 1) == texts.next_item("es", "PHQ-9", 1)
    assert texts.checkin_open("es_US", None, "GAD-7") == texts.checkin_open("es", None, "GAD-7")


def test_short_forms_have_only_their_own_items():
    with pytest.raises(ValueError):
        items.item_text("PHQ-2", 3, "en")
    assert items.item_text("PHQ-2", 2, "es") == items.item_text("PHQ-9", 2, "es")


@pytest.mark.parametrize(("lang", "thanks"), [("en", "Thank you"), ("es", "Gracias")])
def test_contact_confirmed_without_a_date(lang, thanks):
    assert texts.contact_confirmed(lang, None) == texts.render(
        "contact_confirmed", lang, contact_when=None
    )
    assert texts.contact_confirmed(lang, None).startswith(thanks)


@pytest.mark.parametrize(
    ("lang", "name", "greeted"),
    [
        ("en", "Dana", "Dana"),
        ("en", "María", None),  # í is not GSM-7: the name would double an English text's cost
        ("en", "Zoë", None),  # ë is not GSM-7 either (ä, ö, ü are)
        ("en", "Maximiliano-Alexander " + "Christopherson-Wellington " * 3, "Alexander"),
        ("es", "María de los Ángeles Guadalupe Fernández", "María"),
        ("es", "Guadalupe", "Guadalupe"),
    ],
)
def test_a_first_name_that_would_break_the_budget_gives_way(lang, name, greeted):
    rendered = [
        texts.checkin_open(lang, name, "PHQ-9"),
        texts.reminder(lang, name, "PHQ-9", 3),
        texts.checkin_complete(lang, name),
        texts.contact_confirm_request(lang, name, "Riverside Family Medicine", "Tue Dec 1, 10:00"),
    ]
    for text in rendered:
        assert texts.within_budget(text, lang), text
    opening = rendered[0]
    if greeted is None:
        assert opening == texts.checkin_open(lang, None, "PHQ-9")
    else:
        assert opening.split(".")[0].split(",")[0].endswith(greeted), opening
