"""Treatment stages of demo patients and the score paths that go with them."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    name: str
    status: str
    min_weeks: int
    max_weeks: int
    start: int  # baseline PHQ-9
    end: int  # latest PHQ-9
    responded: bool = False
    opted_out: bool = False

    def weeks(self, rng: random.Random) -> int:
        return rng.randint(self.min_weeks, self.max_weeks)


STAGES: tuple[Stage, ...] = (
    Stage("new", "enrolled", 0, 3, 16, 15),
    Stage("improving", "active", 6, 14, 17, 9),
    Stage("stalled", "active", 12, 16, 16, 15),
    Stage("remission", "active", 16, 24, 18, 3, responded=True),
    Stage("stepped_down", "relapse_prevention", 20, 26, 15, 4, responded=True),
    Stage("disengaged", "disengaged", 8, 20, 14, 13, opted_out=True),
    Stage("improving_late", "active", 8, 12, 20, 12),
)


def totals_for(stage: Stage, rng: random.Random, kind: str) -> list[int]:
    """A plausible series of totals from baseline to the stage's latest, with some noise."""
    visits = max(1, stage.max_weeks // 2 + 1)
    start, end = (stage.start, stage.end) if kind == "phq" else (stage.start - 3, stage.end - 1)
    series = []
    for n in range(visits):
        value = start + (end - start) * n / max(1, visits - 1) + rng.randint(-1, 1)
        series.append(max(0, min(21 if kind == "gad" else 26, round(value))))
    return series
