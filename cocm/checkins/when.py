"""How a contact date reads in a text: "on Tuesday, March 12 around 2:30 PM" in the patient's
language and time zone. Written out here rather than through the C library's locale, which a
server may not have installed."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from cocm import texts

_DAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}
_MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "es": (
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),
}


def contact_when_text(moment: datetime, tz_name: str, lang: str) -> str:
    """``moment`` as the patient reads it, e.g. "on Tuesday, March 12 around 2:30 PM" or
    "el martes 12 de marzo a las 2:30 p. m."."""
    lang = texts.language(lang)
    local = moment.astimezone(ZoneInfo(tz_name))
    day = _DAYS[lang][local.weekday()]
    month = _MONTHS[lang][local.month - 1]
    hour = local.hour % 12 or 12
    clock = f"{hour}:{local.minute:02d}"
    if lang == "es":
        half = "a. m." if local.hour < 12 else "p. m."
        return f"el {day} {local.day} de {month} a las {clock} {half}"
    half = "AM" if local.hour < 12 else "PM"
    return f"on {day}, {month} {local.day} around {clock} {half}"
