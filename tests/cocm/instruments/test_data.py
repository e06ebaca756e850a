"""The instruments as data: codes, items, options, languages."""

from __future__ import annotations

import pytest

import cocm.instruments as instruments
from cocm.instruments import GAD2, GAD7, INSTRUMENTS, PHQ2, PHQ9, get

PHQ9_ITEM_LOINC = [
    "44250-9",
    "44255-8",
    "44259-0",
    "44254-1",
    "44251-7",
    "44258-2",
    "44252-5",
    "44253-3",
    "44260-8",
]
GAD7_ITEM_LOINC = ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]
FREQUENCY = [
    (0, "LA6568-5", "Not at all", "Ningún día"),
    (1, "LA6569-3", "Several days", "Varios días"),
    (2, "LA6570-1", "More than half the days", "Más de la mitad de los días"),
    (3, "LA6571-9", "Nearly every day", "Casi todos los días"),
]


def test_registry_holds_the_four_contract_codes():
    assert list(INSTRUMENTS) == ["PHQ-9", "GAD-7", "PHQ-2", "GAD-2"]
    assert isinstance(INSTRUMENTS, dict)
    for code, instrument in INSTRUMENTS.items():
        assert get(code) is instrument
        assert instrument.code == code


@pytest.mark.parametrize("code", ["PHQ9", "phq-9", "BDI", "", None, ["PHQ-9"]])
def test_get_unknown_code_names_it(code):
    with pytest.raises(ValueError, match="unknown instrument") as info:
        get(code)
    assert repr(code) in str(info.value)
    assert "PHQ-9" in str(info.value)


def test_loinc_codes_from_design():
    assert (PHQ9.panel_loinc, PHQ9.total_loinc) == ("44249-1", "44261-6")
    assert (GAD7.panel_loinc, GAD7.total_loinc) == ("69737-5", "70274-6")
    assert PHQ2.total_loinc == "55758-7"
    assert GAD2.total_loinc == "70272-0"
    assert PHQ9.questionnaire_url == "http://loinc.org/q/44249-1"
    assert GAD2.questionnaire_url is None


def test_phq9_items_in_order():
    assert [i.loinc for i in PHQ9.scored_items] == PHQ9_ITEM_LOINC
    assert [i.number for i in PHQ9.items] == list(range(1, 11))
    assert PHQ9.risk_item == 9
    assert PHQ9.item(9).loinc == "44260-8"
    assert "better off dead" in PHQ9.item(9).text["en"]
    assert PHQ9.max_total == 27
    assert PHQ9.answer_lengths == (9, 10)


def test_phq9_difficulty_item_is_unscored_with_its_own_answers():
    item = PHQ9.item(10)
    assert item.loinc == "69722-7"
    assert item.scored is False
    assert [(o.score, o.loinc, o.label["en"]) for o in item.options] == [
        (0, "LA6572-7", "Not difficult at all"),
        (1, "LA6573-5", "Somewhat difficult"),
        (2, "LA6575-0", "Very difficult"),
        (3, "LA6574-3", "Extremely difficult"),
    ]


def test_gad7_items_in_order():
    assert [i.loinc for i in GAD7.items] == GAD7_ITEM_LOINC
    assert all(i.scored for i in GAD7.items)
    assert GAD7.max_total == 21
    assert GAD7.answer_lengths == (7,)
    assert GAD7.risk_item is None


def test_short_forms_are_the_first_two_items():
    assert PHQ2.items == PHQ9.items[:2]
    assert GAD2.items == GAD7.items[:2]
    for short in (PHQ2, GAD2):
        assert short.positive_at == 3
        assert short.bands == ()
        assert short.max_total == 6
        assert short.risk_item is None


@pytest.mark.parametrize("instrument", list(INSTRUMENTS.values()), ids=list(INSTRUMENTS))
def test_scored_items_use_the_frequency_scale(instrument):
    for item in instrument.scored_items:
        got = [(o.score, o.loinc, o.label["en"], o.label["es"]) for o in item.options]
        assert got == FREQUENCY


@pytest.mark.parametrize("instrument", list(INSTRUMENTS.values()), ids=list(INSTRUMENTS))
def test_every_language_has_every_text(instrument):
    assert "en" in instrument.languages
    for lang in instrument.languages:
        assert instrument.stem[lang].strip()
        assert instrument.title[lang].strip()
        for item in instrument.items:
            assert item.text[lang].strip(), (instrument.code, item.number, lang)
            assert all(o.label[lang].strip() for o in item.options)


def test_published_spanish_wording():
    stem = "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los"
    assert PHQ9.stem["es"].startswith(stem)
    assert GAD7.stem["es"].startswith(stem)
    assert PHQ9.stem["en"].startswith("Over the last 2 weeks, how often have you been bothered")
    assert PHQ9.item(1).text["es"] == "Poco interés o placer en hacer cosas"
    assert GAD7.item(1).text["es"] == (
        "Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta"
    )


def test_language_check_and_band_lookup():
    assert PHQ9.check_language("es") == "es"
    with pytest.raises(ValueError, match="'fr'"):
        PHQ9.check_language("fr")
    assert PHQ9.severity_for(None) is None
    assert PHQ2.severity_for(6) is None
    with pytest.raises(ValueError, match="no item 11"):
        PHQ9.item(11)
    with pytest.raises(ValueError, match="no option scored 4"):
        PHQ9.item(1).option_for(4)


def test_bands_cover_every_total_without_gaps():
    for instrument in (PHQ9, GAD7):
        covered = [t for b in instrument.bands for t in range(b.low, b.high + 1)]
        assert covered == list(range(instrument.max_total + 1))


def test_public_api_names():
    for name in ("get", "score", "INSTRUMENTS", "Score", "Instrument", "Item", "Option", "Band"):
        assert hasattr(instruments, name)
