"""Billing rules as data: which codes a month's minutes earn (DESIGN section 7).

A ``RuleSet`` holds every threshold with the date it takes effect, so a change in the CPT time
rules or a payer's own thresholds is a new row of data, never new code. ``rule_set_for`` picks
the set in effect on a day; ``RuleSet.codes`` and ``codes_for_minutes`` turn minutes into
``[(code, units), ...]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from cocm.clock import utcnow

PROGRAMS = ("cocm", "bhi")
ADD_ON_CODE = "99494"
BHI_CODE = "99484"
G2214 = "G2214"

# Whose minutes count, and for what (DESIGN 7): the care manager's, or the treating clinician's
# doing care-manager work. Consultant minutes are recorded and shown but never counted.
COUNTED_ROLES = ("care_manager", "treating_clinician")
CONSULTANT_ROLE = "psychiatric_consultant"
# The consultant's own service is billed by the consultant's practice, not as care-manager time.
UNCOUNTED_ACTIVITIES = ("psychiatric_consultation",)


@dataclass(frozen=True)
class Thresholds:
    """Where each code starts, in minutes (inclusive), for one kind of CoCM month.

    ``g2214_from`` may be None for a payer that does not pay G2214.
    """

    base_code: str
    g2214_from: int | None
    base_from: int
    add_on_from: int

    def __post_init__(self) -> None:
        floor = self.g2214_from if self.g2214_from is not None else 1
        if not 0 < floor <= self.base_from < self.add_on_from:
            raise ValueError(f"thresholds out of order: {self}")
        if self.g2214_from is not None and self.g2214_from == self.base_from:
            raise ValueError(f"G2214 and {self.base_code} cannot start at the same minute")


class NextThreshold(NamedTuple):
    """The next code a month could reach: how many more minutes it takes, and the code."""

    minutes_needed: int
    code: str


@dataclass(frozen=True)
class RuleSet:
    """One complete set of time rules, in effect from ``effective_from``.

    ``payer`` is None for the default (Medicare) rules; a payer's own set overrides thresholds
    or caps the number of 99494 units (``max_add_on_units``; 0 means no 99494 at all).
    """

    name: str
    effective_from: date
    cocm_initial: Thresholds
    cocm_later: Thresholds
    bhi_min_minutes: int = 20
    add_on_step: int = 30
    max_add_on_units: int | None = None
    payer: str | None = None

    def __post_init__(self) -> None:
        if self.bhi_min_minutes < 1 or self.add_on_step < 1:
            raise ValueError(f"rule set {self.name!r}: minimums and steps must be positive")
        if self.max_add_on_units is not None and self.max_add_on_units < 0:
            raise ValueError(f"rule set {self.name!r}: max_add_on_units cannot be negative")

    def thresholds(self, initial_month: bool) -> Thresholds:
        return self.cocm_initial if initial_month else self.cocm_later

    def add_on_units(self, minutes: int, initial_month: bool) -> int:
        """99494 units earned: one at ``add_on_from``, one more every ``add_on_step`` minutes."""
        t = self.thresholds(initial_month)
        if minutes < t.add_on_from:
            return 0
        units = 1 + (minutes - t.add_on_from) // self.add_on_step
        if self.max_add_on_units is not None:
            units = min(units, self.max_add_on_units)
        return units

    def codes(self, program: str, minutes: int, initial_month: bool) -> list[tuple[str, int]]:
        """The codes and units for a month; arguments are assumed valid (see codes_for_minutes)."""
        if program == "bhi":
            return [(BHI_CODE, 1)] if minutes >= self.bhi_min_minutes else []
        t = self.thresholds(initial_month)
        if minutes >= t.base_from:
            units = self.add_on_units(minutes, initial_month)
            return [(t.base_code, 1)] + ([(ADD_ON_CODE, units)] if units else [])
        if t.g2214_from is not None and minutes >= t.g2214_from:
            return [(G2214, 1)]
        return []

    def next_threshold(
        self, program: str, minutes: int, initial_month: bool
    ) -> NextThreshold | None:
        """How far the month is from its next code, or None when nothing more can be earned."""
        if program == "bhi":
            if minutes < self.bhi_min_minutes:
                return NextThreshold(self.bhi_min_minutes - minutes, BHI_CODE)
            return None
        t = self.thresholds(initial_month)
        if t.g2214_from is not None and minutes < t.g2214_from:
            return NextThreshold(t.g2214_from - minutes, G2214)
        if minutes < t.base_from:
            return NextThreshold(t.base_from - minutes, t.base_code)
        units = self.add_on_units(minutes, initial_month)
        if self.max_add_on_units is not None and units >= self.max_add_on_units:
            return None
        next_at = t.add_on_from + units * self.add_on_step
        return NextThreshold(next_at - minutes, ADD_ON_CODE)


MEDICARE = RuleSet(
    name="Medicare (CPT time rules)",
    # G2214 (the 16-35 / 16-30 minute band) was added to the CoCM family on 1 January 2021.
    effective_from=date(2021, 1, 1),
    cocm_initial=Thresholds(base_code="99492", g2214_from=16, base_from=36, add_on_from=86),
    cocm_later=Thresholds(base_code="99493", g2214_from=16, base_from=31, add_on_from=76),
    bhi_min_minutes=20,
    add_on_step=30,
    max_add_on_units=None,
)

# Every rule set the service knows; a payer's set or a new year's rules is one more entry here.
RULE_SETS: tuple[RuleSet, ...] = (MEDICARE,)


def rule_set_for(
    day: date, payer: str | None = None, rule_sets: tuple[RuleSet, ...] | None = None
) -> RuleSet:
    """The rule set in effect on ``day`` for ``payer`` (falling back to the default rules).

    The latest ``effective_from`` on or before ``day`` wins. Raises ValueError when no rule set
    covers the day.
    """
    candidates = RULE_SETS if rule_sets is None else rule_sets
    for wanted in [payer, None] if payer is not None else [None]:
        in_effect = [r for r in candidates if r.payer == wanted and r.effective_from <= day]
        if in_effect:
            return max(in_effect, key=lambda r: r.effective_from)
    raise ValueError(f"no billing rule set in effect on {day.isoformat()}")


def codes_for_minutes(
    program: str,
    minutes: int,
    initial_month: bool | None = None,
    rules: RuleSet | None = None,
) -> list[tuple[str, int]]:
    """The billing codes and units a month of ``minutes`` earns, e.g. ``[("99492", 1)]``.

    ``program`` is "cocm" or "bhi"; ``initial_month`` says whether this is the episode's first
    month with countable minutes (required for CoCM, ignored for BHI). ``rules`` defaults to the
    rule set in effect today. An unknown program, minutes that are not a non-negative int, or a
    missing ``initial_month`` for CoCM raise ValueError naming the problem. An empty list means
    no code.
    """
    if not isinstance(program, str) or program not in PROGRAMS:
        raise ValueError(f"unknown program {program!r}: expected 'cocm' or 'bhi'")
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise ValueError(f"minutes must be a whole number, got {minutes!r}")
    if minutes < 0:
        raise ValueError(f"minutes cannot be negative, got {minutes}")
    if program == "cocm":
        if initial_month is None:
            raise ValueError("initial_month is required for program 'cocm'")
        if not isinstance(initial_month, bool) and initial_month not in (0, 1):
            raise ValueError(f"initial_month must be True or False, got {initial_month!r}")
    rules = rules or rule_set_for(utcnow().date())
    return rules.codes(program, minutes, bool(initial_month))
