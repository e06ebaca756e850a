"""How often and how soon a text is tried again after a transient error."""

from __future__ import annotations

import random
from datetime import timedelta

# After attempt 1 wait about 30 s, then 2 min, 8 min, 30 min, then every 2 h; attempt 8 is the
# last (about 7 hours after the first), then the message fails and staff are told.
BACKOFF = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=8),
    timedelta(minutes=30),
    timedelta(hours=2),
)
MAX_ATTEMPTS = 8
JITTER = 0.2  # +-20 %, so texts that failed together do not all retry in the same second

_random = random.Random()


def backoff_delay(attempts: int, rng: random.Random | None = None) -> timedelta:
    """The wait after the ``attempts``-th failed attempt (1-based), jittered by +-20 %."""
    base = BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]
    factor = 1 + (rng or _random).uniform(-JITTER, JITTER)
    return base * factor
