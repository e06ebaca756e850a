"""Response options shared by the PHQ and GAD instruments.

Labels are the published wording: English from the Pfizer PHQ/GAD-7 forms, Spanish from
Pfizer's Spanish for the USA translations (see LANGUAGES.md).
"""

from __future__ import annotations

from .base import Option

# LOINC answer list LL358-3: the 0-3 frequency scale of every PHQ-9 / GAD-7 item.
FREQUENCY: tuple[Option, ...] = (
    Option(0, "LA6568-5", {"en": "Not at all", "es": "Ningún día"}),
    Option(1, "LA6569-3", {"en": "Several days", "es": "Varios días"}),
    Option(2, "LA6570-1", {"en": "More than half the days", "es": "Más de la mitad de los días"}),
    Option(3, "LA6571-9", {"en": "Nearly every day", "es": "Casi todos los días"}),
)

# LOINC answer list LL359-1 for the unscored difficulty item. The codes are not in numeric
# order: LOINC assigns LA6575-0 to "Very difficult" and LA6574-3 to "Extremely difficult"
# (checked against the tx.fhir.org expansion of LL359-1), so do not "fix" the sequence.
DIFFICULTY: tuple[Option, ...] = (
    Option(0, "LA6572-7", {"en": "Not difficult at all", "es": "No ha sido difícil"}),
    Option(1, "LA6573-5", {"en": "Somewhat difficult", "es": "Un poco difícil"}),
    Option(2, "LA6575-0", {"en": "Very difficult", "es": "Muy difícil"}),
    Option(3, "LA6574-3", {"en": "Extremely difficult", "es": "Extremadamente difícil"}),
)
