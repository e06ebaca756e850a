"""PHQ-2 and GAD-2: the first two items of PHQ-9 and GAD-7, used as screens.

They share the parent's stem, items, options and translations, so they can never drift
from the full forms. No severity bands; a total of 3 or more is a positive screen.
"""

from __future__ import annotations

from .base import Instrument
from .gad7 import GAD7
from .phq9 import PHQ9

PHQ2 = Instrument(
    code="PHQ-2",
    title={"en": "Patient Health Questionnaire-2 (PHQ-2)", "es": "PHQ-2"},
    panel_loinc="55757-9",
    total_loinc="55758-7",
    stem=PHQ9.stem,
    items=PHQ9.items[:2],
    positive_at=3,
    languages=PHQ9.languages,
    extra={"source": "items 1-2 of PHQ-9"},
)

# GAD-2 has a LOINC total score code but no panel code we could confirm, so panel_loinc is
# None and its FHIR QuestionnaireResponse carries no questionnaire canonical.
GAD2 = Instrument(
    code="GAD-2",
    title={"en": "Generalized Anxiety Disorder-2 (GAD-2)", "es": "GAD-2"},
    panel_loinc=None,
    total_loinc="70272-0",
    stem=GAD7.stem,
    items=GAD7.items[:2],
    positive_at=3,
    languages=GAD7.languages,
    extra={"source": "items 1-2 of GAD-7"},
)
