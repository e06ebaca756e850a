"""Scoring an answer list against an instrument (DESIGN section 4 and the section 8 contract)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .base import Instrument

RISK_ANSWERS = frozenset({1, 2, 3})


@dataclass(frozen=True)
class Score:
    """The result of scoring one assessment.

    ``total`` is None unless every scored item is answered. ``severity`` is the band name
    (None without a total, and always None for PHQ-2/GAD-2, which have no bands).
    ``positive`` is the screen result for PHQ-2/GAD-2 (None without a total, and None for
    instruments without a cut-off). ``risk`` is True when the risk item (PHQ-9 item 9) was
    answered 1, 2 or 3; an unanswered item or a 0 is not a risk signal, but not reassurance
    either. ``answers`` is the input, unchanged, as a tuple.
    """

    code: str
    answers: tuple[int | None, ...]
    total: int | None
    severity: str | None
    risk: bool
    complete: bool
    positive: bool | None = None


def check_answers(instrument: Instrument, answers: object) -> tuple[int | None, ...]:
    """Validate an answer list for ``instrument`` and return it as a tuple.

    Raises ValueError naming the problem: not a list, wrong length, or an answer that is not
    None or an int 0-3 (``True``/``False`` are refused; they are not answers).
    """
    code = instrument.code
    if isinstance(answers, (str, bytes)) or not isinstance(answers, Sequence):
        raise ValueError(
            f"{code}: answers must be a list in item order, got {type(answers).__name__}"
        )
    lengths = instrument.answer_lengths
    if len(answers) not in lengths:
        expected = " or ".join(str(n) for n in lengths)
        raise ValueError(f"{code} takes {expected} answers, got {len(answers)}")
    for item, answer in zip(instrument.items, answers, strict=False):
        if answer is None:
            continue
        if isinstance(answer, bool) or not isinstance(answer, int):
            raise ValueError(
                f"{code} item {item.number}: answer {answer!r} is not an int 0-3 or None"
            )
        if not 0 <= answer <= 3:
            raise ValueError(f"{code} item {item.number}: answer {answer} is outside 0-3")
    return tuple(answers)


def score_instrument(instrument: Instrument, answers: Sequence[int | None]) -> Score:
    """Score ``answers`` (item order, None for unanswered) against ``instrument``."""
    checked = check_answers(instrument, answers)
    scored = [a for item, a in zip(instrument.items, checked, strict=False) if item.scored]
    complete = all(a is not None for a in scored)
    total = sum(a for a in scored if a is not None) if complete else None
    risk = False
    if instrument.risk_item is not None:
        risk = checked[instrument.risk_item - 1] in RISK_ANSWERS
    positive = None
    if instrument.positive_at is not None and total is not None:
        positive = total >= instrument.positive_at
    return Score(
        code=instrument.code,
        answers=checked,
        total=total,
        severity=instrument.severity_for(total),
        risk=risk,
        complete=complete,
        positive=positive,
    )
