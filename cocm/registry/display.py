"""How the staff pages write times, dates, durations and scores: one place, so every page of
the queue, registry and chart reads the same. Times are shown in the clinic's time zone."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from cocm.registry.queue import minutes_text


class Display:
    """Formatting bound to one time zone (the clinic's), handed to templates as ``fmt``."""

    def __init__(self, tz_name: str, now: datetime):
        self.zone = ZoneInfo(tz_name)
        self.tz_name = tz_name
        self.now = now

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def when(self, moment: datetime | None, zone: str | None = None) -> str:
        """'Mar 2, 9:05 AM' (with the year when it is not this year); '—' for none."""
        if moment is None:
            return "—"
        local = moment.astimezone(ZoneInfo(zone) if zone else self.zone)
        text = f"{local:%b} {local.day}, {local.hour % 12 or 12}:{local:%M %p}"
        return text if local.year == self.local(self.now).year else f"{text} {local.year}"

    def iso(self, moment: datetime | None) -> str:
        return moment.isoformat() if moment is not None else ""

    def day(self, value: date | datetime | None) -> str:
        """'Mar 2' (with the year when it is not this year); '—' for none."""
        if value is None:
            return "—"
        if isinstance(value, datetime):
            value = value.astimezone(self.zone).date()
        text = f"{value:%b} {value.day}"
        return text if value.year == self.local(self.now).year else f"{text}, {value.year}"

    @staticmethod
    def full_day(value: date | None) -> str:
        """'Mar 2, 2026' always with the year (dates of birth, data tables)."""
        return f"{value:%b} {value.day}, {value.year}" if value is not None else "—"

    @staticmethod
    def duration(span: timedelta | None) -> str:
        return minutes_text(span) if span is not None else "—"

    @staticmethod
    def change(percent: float | None) -> str:
        """'−40%' for improvement, '+12%' for worsening, '—' when there is no baseline."""
        if percent is None:
            return "—"
        rounded = round(percent)
        if rounded == 0:
            return "0%"
        return f"+{rounded}%" if rounded > 0 else f"−{-rounded}%"

    @staticmethod
    def label(value: str | None) -> str:
        return value.replace("_", " ") if value else "—"

    def age(self, born: date | None) -> str:
        if born is None:
            return "—"
        today = self.local(self.now).date()
        years = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        return str(years)
