"""Time entries: the minutes behind every billing month."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocm.db import Base
from cocm.models._types import created_at, fk, one_of
from cocm.models.enums import ACTIVITIES, TIME_ROLES
from cocm.models.people import Staff


class TimeEntry(Base):
    """Minutes one staff member spent for one patient on one day.

    Entries are never edited in place: a correction writes a new entry and marks the old one
    superseded, so the audit trail shows both.
    """

    __tablename__ = "time_entries"
    __table_args__ = (
        one_of("activity", ACTIVITIES),
        one_of("role", TIME_ROLES),
        CheckConstraint("minutes >= 0 AND minutes <= 600", name="minutes_range"),
        Index("ix_time_entries_patient_day", "patient_id", "performed_on"),
        # The billing month: one month's entries, and an episode's entries before a month.
        Index("ix_time_entries_day", "performed_on"),
        Index("ix_time_entries_episode_day", "episode_id", "performed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = fk("patients.id", ondelete="CASCADE", index=False)
    episode_id: Mapped[int | None] = fk("episodes.id", nullable=True)
    staff_id: Mapped[int] = fk("staff.id")
    role: Mapped[str] = mapped_column(String(32))
    activity: Mapped[str] = mapped_column(String(32))
    performed_on: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    contact_id: Mapped[int | None] = fk("contacts.id", nullable=True)
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    superseded_by_id: Mapped[int | None] = fk("time_entries.id", nullable=True, index=False)
    correction_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()

    staff: Mapped[Staff] = relationship()
