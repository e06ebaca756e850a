"""Episodes of care, care plan versions, the measurement schedule and referrals."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocm.db import Base
from cocm.models._types import created_at, fk, one_of
from cocm.models.enums import (
    CONSENT_METHODS,
    EPISODE_STATUSES,
    INSTRUMENTS,
    PROGRAMS,
    REFERRAL_KINDS,
    REFERRAL_STATUSES,
)
from cocm.models.people import Patient, Staff

OPEN_EPISODE_SQL = "status IN ('enrolled', 'active', 'relapse_prevention')"


class Episode(Base):
    __tablename__ = "episodes"
    __table_args__ = (
        one_of("program", PROGRAMS),
        one_of("status", EPISODE_STATUSES),
        one_of("consent_method", CONSENT_METHODS),
        CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name="end_after_start"),
        CheckConstraint("cadence_days IS NULL OR cadence_days > 0", name="cadence_days_positive"),
        # One open episode per patient, enforced by the database.
        Index(
            "uq_episodes_one_open_per_patient",
            "patient_id",
            unique=True,
            sqlite_where=text(OPEN_EPISODE_SQL),
            postgresql_where=text(OPEN_EPISODE_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = fk("patients.id", ondelete="CASCADE")
    program: Mapped[str] = mapped_column(String(8), default="cocm")
    status: Mapped[str] = mapped_column(String(24), default="enrolled")
    initiating_visit_on: Mapped[date | None] = mapped_column(Date)
    consent_on: Mapped[date | None] = mapped_column(Date)
    consent_method: Mapped[str | None] = mapped_column(String(16))
    consent_note: Mapped[str | None] = mapped_column(Text)
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
    end_reason: Mapped[str | None] = mapped_column(Text)
    reentry_note: Mapped[str | None] = mapped_column(Text)
    cadence_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = created_at()

    patient: Mapped[Patient] = relationship()
    care_plans: Mapped[list[CarePlan]] = relationship(
        back_populates="episode", order_by="CarePlan.version"
    )


class CarePlan(Base):
    """One version of an episode's care plan; a new version is written for every change."""

    __tablename__ = "care_plans"
    __table_args__ = (
        UniqueConstraint("episode_id", "version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = fk("episodes.id", ondelete="CASCADE")
    version: Mapped[int] = mapped_column(Integer)
    goals: Mapped[str] = mapped_column(Text)
    medications: Mapped[str | None] = mapped_column(Text)
    skill_plan: Mapped[str | None] = mapped_column(Text)
    follow_up: Mapped[str | None] = mapped_column(Text)
    safety_steps: Mapped[str | None] = mapped_column(Text)
    change_summary: Mapped[str | None] = mapped_column(Text)
    recommendation_id: Mapped[int | None] = fk("recommendations.id", nullable=True)
    created_by_id: Mapped[int] = fk("staff.id")
    created_at: Mapped[datetime] = created_at()
    signed_by_id: Mapped[int | None] = fk("staff.id", nullable=True)
    signed_at: Mapped[datetime | None]

    episode: Mapped[Episode] = relationship(back_populates="care_plans")
    created_by: Mapped[Staff] = relationship(foreign_keys=[created_by_id])
    signed_by: Mapped[Staff | None] = relationship(foreign_keys=[signed_by_id])


class MeasurementSchedule(Base):
    """When an episode's next measure of one instrument falls due."""

    __tablename__ = "measurement_schedules"
    __table_args__ = (
        UniqueConstraint("episode_id", "instrument"),
        one_of("instrument", INSTRUMENTS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    episode_id: Mapped[int] = fk("episodes.id", ondelete="CASCADE")
    instrument: Mapped[str] = mapped_column(String(8))
    next_due_at: Mapped[datetime] = mapped_column(index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_sent_at: Mapped[datetime | None]

    episode: Mapped[Episode] = relationship()


class Referral(Base):
    """A referral tracked until the patient was actually seen."""

    __tablename__ = "referrals"
    __table_args__ = (
        one_of("kind", REFERRAL_KINDS),
        one_of("status", REFERRAL_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = fk("patients.id", ondelete="CASCADE")
    episode_id: Mapped[int | None] = fk("episodes.id", nullable=True)
    kind: Mapped[str] = mapped_column(String(24))
    to_whom: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="open")
    note: Mapped[str | None] = mapped_column(Text)
    due_by: Mapped[date | None] = mapped_column(Date)
    scheduled_on: Mapped[date | None] = mapped_column(Date)
    seen_on: Mapped[date | None] = mapped_column(Date)
    created_by_id: Mapped[int] = fk("staff.id")
    created_at: Mapped[datetime] = created_at()
