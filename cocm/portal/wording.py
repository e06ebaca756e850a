"""The plain words the patient sees for things the care team names in clinical terms.

No instrument names, severity bands or diagnoses reach the patient's screen: a questionnaire is
a "check-in" about mood or worry, scores are numbers where lower is better.
"""

from __future__ import annotations

from datetime import date

from cocm import texts

CHECKIN_NAMES = {
    "PHQ-9": {"en": "Mood check-in", "es": "Chequeo del estado de ánimo"},
    "PHQ-2": {"en": "Short mood check-in", "es": "Chequeo breve del estado de ánimo"},
    "GAD-7": {"en": "Worry and stress check-in", "es": "Chequeo de preocupación y estrés"},
    "GAD-2": {
        "en": "Short worry and stress check-in",
        "es": "Chequeo breve de preocupación y estrés",
    },
}
CONTACT_WAYS = {
    "phone": {"en": "By phone", "es": "Por teléfono"},
    "video": {"en": "By video call", "es": "Por videollamada"},
    "in_person": {"en": "In person", "es": "En persona"},
    "portal": {"en": "Online", "es": "En línea"},
    "sms": {"en": "By text message", "es": "Por mensaje de texto"},
}
_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"),
}


def checkin_name(instrument: str, lang: str) -> str:
    """What the patient calls a questionnaire, e.g. "Mood check-in"."""
    names = CHECKIN_NAMES.get(instrument, {"en": "Check-in", "es": "Chequeo"})
    return names[texts.language(lang)]


def contact_way(kind: str | None, lang: str) -> str:
    """How a contact happens, e.g. "By phone"."""
    return CONTACT_WAYS.get(kind or "phone", CONTACT_WAYS["phone"])[texts.language(lang)]


def short_day(day: date, lang: str, with_year: bool = True) -> str:
    """ "Mar 5, 2026" or "5 mar 2026"."""
    lang = texts.language(lang)
    month = _MONTHS[lang][day.month - 1]
    if lang == "es":
        return f"{day.day} {month} {day.year}" if with_year else f"{day.day} {month}"
    return f"{month} {day.day}, {day.year}" if with_year else f"{month} {day.day}"
