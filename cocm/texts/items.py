"""SMS wordings of the questionnaire stems and items, and the "how to answer" legend.

The instrument texts in ``cocm.instruments`` are the full, published wordings used on the portal
and in the chart. A text message has a hard budget (English 2 GSM-7 segments, Spanish 3), and
the published texts carry dashes outside the GSM-7 alphabet, so the stems and several items are
worded for SMS here, keeping their meaning. Answer labels always come from the instrument.
PHQ-2 and GAD-2 are the first two items of PHQ-9 and GAD-7 and share their wordings. When an
instrument or item has no SMS wording, the instrument's own text is used.
"""

from __future__ import annotations

from cocm import instruments
from cocm.texts.render import language

# Stems say "this" because the item follows on the next line of the same message.
_STEMS: dict[str, dict[str, str]] = {
    "en": {
        "PHQ-9": "Over the last 2 weeks, how often have you been bothered by this?",
        "GAD-7": "Over the last 2 weeks, how often have you been bothered by this?",
    },
    "es": {
        "PHQ-9": "En las últimas 2 semanas, ¿cuántos días tuvo esto?",
        "GAD-7": "En las últimas 2 semanas, ¿cuántos días tuvo esto?",
    },
}

_ITEMS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "PHQ-9": (
            "Little interest or pleasure in doing things",
            "Feeling down, depressed, or hopeless",
            "Trouble falling or staying asleep, or sleeping too much",
            "Feeling tired or having little energy",
            "Poor appetite or overeating",
            "Feeling bad about yourself, or that you are a failure or have let yourself or"
            " your family down",
            "Trouble concentrating on things, such as reading the newspaper or watching television",
            "Moving or speaking so slowly that others could notice, or being so fidgety or"
            " restless that you move around a lot more than usual",
            "Thoughts that you would be better off dead, or of hurting yourself in some way",
        ),
        "GAD-7": (
            "Feeling nervous, anxious, or on edge",
            "Not being able to stop or control worrying",
            "Worrying too much about different things",
            "Trouble relaxing",
            "Being so restless that it is hard to sit still",
            "Becoming easily annoyed or irritable",
            "Feeling afraid, as if something awful might happen",
        ),
    },
    "es": {
        "PHQ-9": (
            "Poco interés o placer en hacer cosas",
            "Sentirse decaído/a, deprimido/a o sin esperanza",
            "Dificultad para dormir o seguir dormido/a, o dormir demasiado",
            "Sentirse cansado/a o con poca energía",
            "Poco apetito o comer en exceso",
            "Sentirse un fracaso o que le ha fallado a usted o a su familia",
            "Dificultad para concentrarse, como al leer o ver televisión",
            "Moverse o hablar muy lento, o estar muy inquieto/a o agitado/a",
            "Pensar que estaría mejor muerto/a o en hacerse daño de alguna forma",
        ),
        "GAD-7": (
            "Sentirse nervioso/a, ansioso/a o tenso/a",
            "No poder dejar de preocuparse o no poder controlarlo",
            "Preocuparse demasiado por diferentes cosas",
            "Dificultad para relajarse",
            "Estar tan inquieto/a que es difícil quedarse quieto/a",
            "Molestarse o irritarse fácilmente",
            "Sentir miedo, como si algo terrible fuera a pasar",
        ),
    },
}

# Short-form instruments reuse the wording of the instrument they are taken from.
_WORDING_SOURCE = {"PHQ-2": "PHQ-9", "GAD-2": "GAD-7"}


def _item(instrument_code: str, item_number: int) -> instruments.Item:
    for item in instruments.get(instrument_code).items:
        if item.number == item_number:
            return item
    raise ValueError(f"{instrument_code} has no item {item_number}")


def stem(instrument_code: str, lang: str) -> str:
    """The SMS stem ("how often ...") for an instrument in ``lang``."""
    lang = language(lang)
    source = _WORDING_SOURCE.get(instrument_code, instrument_code)
    wording = _STEMS[lang].get(source)
    if wording is not None:
        return wording
    inst = instruments.get(instrument_code)
    return inst.stem.get(lang) or inst.stem["en"]


def scored_numbers(instrument_code: str) -> tuple[int, ...]:
    """The 1-based numbers of the items asked by text: the scored ones, in order."""
    return tuple(item.number for item in instruments.get(instrument_code).scored_items)


def item_text(instrument_code: str, item_number: int, lang: str) -> str:
    """The SMS wording of item ``item_number`` (1-based) of an instrument in ``lang``."""
    lang = language(lang)
    item = _item(instrument_code, item_number)  # raises for an item the instrument lacks
    source = _WORDING_SOURCE.get(instrument_code, instrument_code)
    wordings = _ITEMS[lang].get(source, ())
    if item.scored and item_number <= len(wordings):
        return wordings[item_number - 1]
    return item.text.get(lang) or item.text["en"]


def legend(instrument_code: str, item_number: int, lang: str) -> str:
    """How to answer an item: "0 Not at all, 1 Several days, ..." from its option labels."""
    lang = language(lang)
    options = _item(instrument_code, item_number).options
    return ", ".join(f"{o.score} {o.label.get(lang) or o.label['en']}" for o in options)
