"""Time away from a contact: a start/stop timer, and corrections with an audit trail.

- ``service``: ``running_timer(session, staff_id, now)``, ``start_timer``, ``stop_timer`` (asks
  for the activity, writes the TimeEntry), ``discard_timer``. A running timer is the person's
  latest ``timer_started`` audit event (see the module docstring for why no table).
- ``corrections``: ``correct_entry`` (a new entry with the reason; the old one superseded),
  ``time_log`` (entries with the corrections that replaced them), ``may_correct``.

Services ``flush()``; the caller commits.
"""

from cocm.timer.corrections import Correction, LogLine, NotAllowed, correct_entry, time_log
from cocm.timer.service import (
    RunningTimer,
    TimerError,
    discard_timer,
    running_timer,
    start_timer,
    stop_timer,
)

__all__ = [
    "Correction",
    "LogLine",
    "NotAllowed",
    "RunningTimer",
    "TimerError",
    "correct_entry",
    "discard_timer",
    "running_timer",
    "start_timer",
    "stop_timer",
    "time_log",
]
