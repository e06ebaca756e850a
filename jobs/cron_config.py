"""Loaded by `rq cron`: registers every row of jobs.schedule.CRON_TABLE."""

from __future__ import annotations

import importlib

from rq import cron

from jobs.schedule import CRON_TABLE


def _resolve(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def register_all() -> None:
    for row in CRON_TABLE:
        cron.register(
            _resolve(row.func),
            row.queue,
            interval=row.interval_seconds,
            job_timeout=row.timeout_seconds,
            name=row.func,
        )


register_all()
