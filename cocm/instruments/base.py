"""The shape of an instrument as data.

Every instrument (PHQ-9, GAD-7, PHQ-2, GAD-2) is an ``Instrument`` value built from these
frozen dataclasses; nothing about a questionnaire lives in code paths elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LOINC = "http://loinc.org"


@dataclass(frozen=True)
class Option:
    """One response option: its score, LOINC answer code and label per language."""

    score: int
    loinc: str
    label: dict[str, str]


@dataclass(frozen=True)
class Item:
    """One question. ``number`` is 1-based; unscored items (PHQ-9 item 10) have ``scored=False``."""

    number: int
    loinc: str
    text: dict[str, str]
    options: tuple[Option, ...]
    scored: bool = True

    def option_for(self, score: int) -> Option:
        """The option whose score is ``score``; ValueError if there is none."""
        for option in self.options:
            if option.score == score:
                return option
        raise ValueError(f"item {self.number} has no option scored {score!r}")


@dataclass(frozen=True)
class Band:
    """An inclusive total range and its severity name."""

    low: int
    high: int
    severity: str


@dataclass(frozen=True)
class Instrument:
    """A questionnaire as data: items in order, LOINC codes, bands and texts per language."""

    code: str
    title: dict[str, str]
    panel_loinc: str | None
    total_loinc: str
    stem: dict[str, str]
    items: tuple[Item, ...]
    bands: tuple[Band, ...] = ()
    risk_item: int | None = None
    positive_at: int | None = None
    languages: tuple[str, ...] = ("en",)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def scored_items(self) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.scored)

    @property
    def max_total(self) -> int:
        return 3 * len(self.scored_items)

    @property
    def answer_lengths(self) -> tuple[int, ...]:
        """Accepted lengths of an answer list: the scored items, or every item."""
        return tuple(sorted({len(self.scored_items), len(self.items)}))

    @property
    def questionnaire_url(self) -> str | None:
        """LOINC's canonical URL for the panel form, or None when there is no panel code."""
        return f"{LOINC}/q/{self.panel_loinc}" if self.panel_loinc else None

    def item(self, number: int) -> Item:
        """The item with this 1-based number; ValueError if there is none."""
        for item in self.items:
            if item.number == number:
                return item
        raise ValueError(f"{self.code} has no item {number!r}")

    def severity_for(self, total: int | None) -> str | None:
        """The band name for ``total``; None for no total or an instrument without bands."""
        if total is None:
            return None
        for band in self.bands:
            if band.low <= total <= band.high:
                return band.severity
        return None

    def check_language(self, language: str) -> str:
        """Return ``language`` if this instrument has texts in it, else raise ValueError."""
        if language not in self.languages:
            supported = ", ".join(self.languages)
            raise ValueError(
                f"{self.code} has no texts in language {language!r} (supported: {supported})"
            )
        return language
