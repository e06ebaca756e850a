"""The allowed texting window: proactive messages go only inside it, in the patient's zone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_START = time(8, 0)
DEFAULT_END = time(21, 0)


def in_window(
    moment: datetime, tz_name: str, start: time = DEFAULT_START, end: time = DEFAULT_END
) -> bool:
    """True when ``moment`` falls in [start, end) on the patient's local clock."""
    local = moment.astimezone(ZoneInfo(tz_name)).time()
    return start <= local < end


def next_allowed(
    moment: datetime, tz_name: str, start: time = DEFAULT_START, end: time = DEFAULT_END
) -> datetime:
    """``moment`` itself if inside the window, else the next window opening (as UTC-aware).

    Computed on the local calendar so a daylight-saving change moves the opening with the clock.
    """
    if in_window(moment, tz_name, start, end):
        return moment
    zone = ZoneInfo(tz_name)
    local = moment.astimezone(zone)
    day = local.date() if local.time() < start else local.date() + timedelta(days=1)
    opening = datetime.combine(day, start, tzinfo=zone)
    return opening.astimezone(moment.tzinfo)


def window_for(clinic) -> tuple[time, time]:
    """A clinic's window, never wider than the default 08:00-21:00."""
    return clamp_window(clinic.text_window_start, clinic.text_window_end)


def clamp_window(start: time, end: time) -> tuple[time, time]:
    """A window from ``start`` to ``end``, never wider than the default 08:00-21:00."""
    return max(start, DEFAULT_START), min(end, DEFAULT_END)
