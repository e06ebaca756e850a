"""The one clock: every 'now' in the service comes from here, in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (freezegun controls it in tests)."""
    return datetime.now(UTC)


def local(moment: datetime, tz_name: str) -> datetime:
    """``moment`` shown in the named zone."""
    return moment.astimezone(ZoneInfo(tz_name))
