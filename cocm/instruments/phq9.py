"""PHQ-9: nine scored depression items plus the unscored difficulty item (item 10).

Texts are the published wording (Pfizer's English form and its Spanish for the USA
translation); do not edit them for style. Sources and caveats: LANGUAGES.md.
"""

from __future__ import annotations

from .base import Band, Instrument, Item
from .options import DIFFICULTY, FREQUENCY

STEM = {
    "en": "Over the last 2 weeks, how often have you been bothered by any of the following "
    "problems?",
    "es": "Durante las últimas 2 semanas, ¿qué tan seguido ha tenido molestias debido a los "
    "siguientes problemas?",
}

# (LOINC item code, English, Spanish), in form order.
_ITEMS = (
    (
        "44250-9",
        "Little interest or pleasure in doing things",
        "Poco interés o placer en hacer cosas",
    ),
    (
        "44255-8",
        "Feeling down, depressed, or hopeless",
        "Se ha sentido decaído(a), deprimido(a) o sin esperanzas",
    ),
    (
        "44259-0",
        "Trouble falling or staying asleep, or sleeping too much",
        "Ha tenido dificultad para quedarse o permanecer dormido(a), o ha dormido demasiado",
    ),
    (
        "44254-1",
        "Feeling tired or having little energy",
        "Se ha sentido cansado(a) o con poca energía",
    ),
    (
        "44251-7",
        "Poor appetite or overeating",
        "Sin apetito o ha comido en exceso",
    ),
    (
        "44258-2",
        "Feeling bad about yourself \u2014 or that you are a failure or have let yourself or "
        "your family down",
        "Se ha sentido mal con usted mismo(a) \u2013 o que es un fracaso o que ha quedado mal "
        "con usted mismo(a) o con su familia",
    ),
    (
        "44252-5",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Ha tenido dificultad para concentrarse en ciertas actividades, tales como leer el "
        "periódico o ver la televisión",
    ),
    (
        "44253-3",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite "
        "\u2014 being so fidgety or restless that you have been moving around a lot more than "
        "usual",
        "¿Se ha movido o hablado tan lento que otras personas podrían haberlo notado? o lo "
        "contrario \u2013 muy inquieto(a) o agitado(a) que ha estado moviéndose mucho más de "
        "lo normal",
    ),
    (
        "44260-8",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
        "Pensamientos de que estaría mejor muerto(a) o de lastimarse de alguna manera",
    ),
)

ITEMS: tuple[Item, ...] = tuple(
    Item(number=n, loinc=loinc, text={"en": en, "es": es}, options=FREQUENCY)
    for n, (loinc, en, es) in enumerate(_ITEMS, start=1)
)

DIFFICULTY_ITEM = Item(
    number=10,
    loinc="69722-7",
    text={
        "en": "If you checked off any problems, how difficult have these problems made it for "
        "you to do your work, take care of things at home, or get along with other people?",
        "es": "Si marcó cualquiera de los problemas, ¿qué tanta dificultad le han dado estos "
        "problemas para hacer su trabajo, encargarse de las tareas del hogar, o llevarse bien "
        "con otras personas?",
    },
    options=DIFFICULTY,
    scored=False,
)

PHQ9 = Instrument(
    code="PHQ-9",
    title={
        "en": "Patient Health Questionnaire-9 (PHQ-9)",
        "es": "Cuestionario sobre la salud del paciente-9 (PHQ-9)",
    },
    panel_loinc="44249-1",
    total_loinc="44261-6",
    stem=STEM,
    items=(*ITEMS, DIFFICULTY_ITEM),
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 19, "moderately severe"),
        Band(20, 27, "severe"),
    ),
    risk_item=9,
    languages=("en", "es"),
    extra={"source": "Pfizer PHQ-9 (English; Spanish for the USA)"},
)
