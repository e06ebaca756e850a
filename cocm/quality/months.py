"""Calendar months as the clinic sees them: 'YYYY-MM' labels, local days and UTC bounds.

Billing and the dashboard count by the clinic's calendar month (DESIGN 7: one calendar month),
so a contact at 11 pm on the 31st in Chicago belongs to that month even though it is already
the 1st in UTC. Every month here knows both its local days and its UTC instants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cocm.billing.month import add_months

_LABEL = re.compile(r"^(\d{4})-(\d{2})$")


def parse_month(text: str | None) -> tuple[int, int]:
    """'2026-03' as (2026, 3). Raises ValueError with a readable message otherwise."""
    match = _LABEL.match((text or "").strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
        raise ValueError(f"{text!r} is not a month: use YYYY-MM, for example 2026-03")
    return int(match.group(1)), int(match.group(2))


def label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def title(year: int, month: int) -> str:
    """'March 2026'."""
    return f"{date(year, month, 1):%B} {year}"


def local_today(tz_name: str, now: datetime) -> date:
    return now.astimezone(ZoneInfo(tz_name)).date()


def last_month(today: date) -> tuple[int, int]:
    """The calendar month before ``today``'s (what a clinic lead bills)."""
    first = add_months(today.replace(day=1), -1)
    return first.year, first.month


def shift(year: int, month: int, months: int) -> tuple[int, int]:
    moved = add_months(date(year, month, 1), months)
    return moved.year, moved.month


@dataclass(frozen=True)
class Month:
    """One calendar month of one clinic.

    ``start``/``end`` are local days (``end`` exclusive), ``start_utc``/``end_utc`` the
    instants of local midnight. ``as_of`` is the moment the month is judged at: its end, or
    ``now`` while it is still running; ``as_of_day`` is the last local day that moment covers.
    """

    year: int
    month: int
    start: date
    end: date
    start_utc: datetime
    end_utc: datetime
    as_of: datetime
    as_of_day: date

    @property
    def label(self) -> str:
        return label(self.year, self.month)

    @property
    def short(self) -> str:
        return f"{self.start:%b} {self.start:%y}" if self.start.month == 1 else f"{self.start:%b}"

    @property
    def running(self) -> bool:
        return self.as_of < self.end_utc

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)


def month_of(year: int, month: int, tz_name: str, now: datetime) -> Month:
    """The month in the clinic's zone; judged as of ``now`` if it has not ended yet."""
    zone = ZoneInfo(tz_name)
    start = date(year, month, 1)
    end = add_months(start, 1)
    start_utc = datetime.combine(start, time(0), tzinfo=zone).astimezone(UTC)
    end_utc = datetime.combine(end, time(0), tzinfo=zone).astimezone(UTC)
    as_of = min(end_utc, max(now, start_utc))
    as_of_day = min(end - timedelta(days=1), max(start, as_of.astimezone(zone).date()))
    return Month(year, month, start, end, start_utc, end_utc, as_of, as_of_day)


def months_ending(year: int, month: int, count: int, tz_name: str, now: datetime) -> list[Month]:
    """``count`` consecutive months, oldest first, the last being (year, month)."""
    return [month_of(*shift(year, month, offset), tz_name, now) for offset in range(1 - count, 1)]
