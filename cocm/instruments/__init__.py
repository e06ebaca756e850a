"""PHQ-9, GAD-7, PHQ-2 and GAD-2 as data, with scoring (DESIGN sections 4 and 8).

``score(code, answers)`` is a stable contract used by outside checks; see DESIGN section 8
before changing its name, arguments or result fields.
"""

from __future__ import annotations

from collections.abc import Sequence

from .base import Band, Instrument, Item, Option
from .gad7 import GAD7
from .phq9 import PHQ9
from .scoring import Score, score_instrument
from .short_forms import GAD2, PHQ2

# Treat as read-only: keyed by the contract codes, in the order staff pages list them.
INSTRUMENTS: dict[str, Instrument] = {i.code: i for i in (PHQ9, GAD7, PHQ2, GAD2)}

__all__ = [
    "GAD2",
    "GAD7",
    "INSTRUMENTS",
    "PHQ2",
    "PHQ9",
    "Band",
    "Instrument",
    "Item",
    "Option",
    "Score",
    "get",
    "score",
]


def get(code: str) -> Instrument:
    """The instrument for ``code`` ("PHQ-9", "GAD-7", "PHQ-2", "GAD-2").

    Raises ValueError naming the unknown code and listing the known ones.
    """
    try:
        return INSTRUMENTS[code]
    except (KeyError, TypeError):
        known = ", ".join(INSTRUMENTS)
        raise ValueError(f"unknown instrument {code!r}; expected one of {known}") from None


def score(code: str, answers: Sequence[int | None]) -> Score:
    """Score an assessment: ``answers`` in item order, None for unanswered.

    PHQ-9 takes 9 answers, or 10 with the unscored difficulty item. Raises ValueError for an
    unknown instrument, a wrong number of answers, or an answer that is not an int 0-3.
    """
    return score_instrument(get(code), answers)
