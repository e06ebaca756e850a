"""The risk phrase list, as data, and the matcher every inbound text goes through.

DESIGN section 5: any inbound text matching this list is a risk signal, whether or not a
conversation is open. The list errs on the side of catching: a false alarm costs a care manager
a phone call, a miss can cost a life. Phrases are written in plain lower case; matching folds
case, accents, apostrophes, punctuation and runs of spaces, and respects word boundaries, so
"Kill   myself!!" and "KILL-MYSELF" match "kill myself" but "skill myself" does not.

Every supported language is checked for every patient: people switch languages, and a Spanish
phrase from a patient marked English is still a risk signal.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

PHRASES: dict[str, tuple[str, ...]] = {
    "en": (
        "suicide",
        "suicidal",
        "kill myself",
        "killing myself",
        "kill my self",
        "end my life",
        "ending my life",
        "end it all",
        "take my life",
        "take my own life",
        "taking my life",
        "want to die",
        "wanna die",
        "wish i was dead",
        "wish i were dead",
        "want to be dead",
        "better off dead",
        "better off without me",
        "no reason to live",
        "nothing to live for",
        "don't want to live",
        "don't wanna live",
        "don't want to be alive",
        "hurt myself",
        "hurting myself",
        "harm myself",
        "harming myself",
        "self harm",
        "selfharm",
        "cut myself",
        "cutting myself",
        "overdose",
        "overdosed",
        "unalive",
        "hang myself",
        "shoot myself",
    ),
    "es": (
        "suicidio",
        "suicida",
        "suicidarme",
        "suicidar",
        "matarme",
        "me voy a matar",
        "quitarme la vida",
        "quitar la vida",
        "quiero morir",
        "quiero morirme",
        "me quiero morir",
        "ganas de morir",
        "deseo morir",
        "hacerme daño",
        "lastimarme",
        "herirme",
        "autolesión",
        "cortarme las venas",
        "sobredosis",
        "acabar con mi vida",
        "terminar con mi vida",
        "mejor muerto",
        "mejor muerta",
        "no quiero vivir",
        "no quiero seguir viviendo",
        "no vale la pena vivir",
        "sin razón para vivir",
        "ahorcarme",
    ),
}

# Apostrophes vanish ("don't" -> "dont") so contractions match however they are typed; every
# other non-alphanumeric character becomes a space.
_APOSTROPHES = "'\u2018\u2019\u02bc\u0060\u00b4"
_NON_WORD = re.compile(r"[^a-z0-9]+")


def normalize(text: str) -> str:
    """Fold ``text`` for matching: no accents, lower case, words separated by single spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    folded = stripped.casefold()
    for apostrophe in _APOSTROPHES:
        folded = folded.replace(apostrophe, "")
    return _NON_WORD.sub(" ", folded).strip()


@cache
def _matcher() -> tuple[re.Pattern[str], dict[str, str]]:
    # Built on first use, not at import. Longest phrases first so the most specific one is
    # reported ("want to be dead" rather than a shorter overlap).
    canonical: dict[str, str] = {}
    for phrases in PHRASES.values():
        for phrase in phrases:
            canonical.setdefault(normalize(phrase), phrase)
    alternatives = sorted(canonical, key=len, reverse=True)
    body = "|".join(re.escape(p) for p in alternatives)
    return re.compile(rf"(?<![a-z0-9])(?:{body})(?![a-z0-9])"), canonical


def find_risk_phrase(text: str | None) -> str | None:
    """Return the first risk phrase found in ``text`` (as written in ``PHRASES``), or None.

    Never raises on any string, including emoji and very long bodies.
    """
    if not text:
        return None
    pattern, canonical = _matcher()
    match = pattern.search(normalize(text))
    return canonical[match.group(0)] if match else None
