"""The periodic jobs as data: (dotted function, queue, interval seconds, timeout seconds).

`rq cron jobs.cron_config` reads this table; every job is idempotent, so two cron processes
running at once do no harm.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    func: str
    queue: str
    interval_seconds: int
    timeout_seconds: int = 300


CRON_TABLE: tuple[Periodic, ...] = ()
