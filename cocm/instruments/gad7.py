"""GAD-7: seven scored anxiety items.

Texts are the published wording (Pfizer's English form and its Spanish for the USA
translation); do not edit them for style. Sources and caveats: LANGUAGES.md.
"""

from __future__ import annotations

from .base import Band, Instrument, Item
from .options import FREQUENCY

STEM = {
    "en": "Over the last 2 weeks, how often have you been bothered by the following problems?",
    "es": "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los "
    "siguientes problemas?",
}

# (LOINC item code, English, Spanish), in form order.
_ITEMS = (
    (
        "69725-0",
        "Feeling nervous, anxious or on edge",
        "Se ha sentido nervioso(a), ansioso(a) o con los nervios de punta",
    ),
    (
        "68509-9",
        "Not being able to stop or control worrying",
        "No ha sido capaz de parar o controlar su preocupación",
    ),
    (
        "69733-4",
        "Worrying too much about different things",
        "Se ha preocupado demasiado por motivos diferentes",
    ),
    (
        "69734-2",
        "Trouble relaxing",
        "Ha tenido dificultad para relajarse",
    ),
    (
        "69735-9",
        "Being so restless that it is hard to sit still",
        "Se ha sentido tan inquieto(a) que no ha podido quedarse quieto(a)",
    ),
    (
        "69689-8",
        "Becoming easily annoyed or irritable",
        "Se ha molestado o irritado fácilmente",
    ),
    (
        "69736-7",
        "Feeling afraid as if something awful might happen",
        "Ha tenido miedo de que algo terrible fuera a pasar",
    ),
)

ITEMS: tuple[Item, ...] = tuple(
    Item(number=n, loinc=loinc, text={"en": en, "es": es}, options=FREQUENCY)
    for n, (loinc, en, es) in enumerate(_ITEMS, start=1)
)

GAD7 = Instrument(
    code="GAD-7",
    title={
        "en": "Generalized Anxiety Disorder-7 (GAD-7)",
        "es": "GAD-7",
    },
    panel_loinc="69737-5",
    total_loinc="70274-6",
    stem=STEM,
    items=ITEMS,
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 21, "severe"),
    ),
    languages=("en", "es"),
    extra={"source": "Pfizer GAD-7 (English; Spanish for the USA)"},
)
