"""Clinics, staff and their roles, patients and the SMS consent log."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocm.db import Base
from cocm.models._types import created_at, fk, one_of
from cocm.models.enums import CONSENT_EVENT_KINDS, CONSENT_SOURCES, LANGUAGES, ROLES


class Clinic(Base):
    __tablename__ = "clinics"
    __table_args__ = (
        CheckConstraint("text_window_start < text_window_end", name="text_window_order"),
        CheckConstraint("escalation_minutes > 0", name="escalation_minutes_positive"),
        CheckConstraint("default_cadence_days > 0", name="cadence_positive"),
        CheckConstraint("response_cadence_days > 0", name="response_cadence_positive"),
        CheckConstraint("idle_timeout_minutes > 0", name="idle_timeout_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    phone_display: Mapped[str | None] = mapped_column(String(32))
    sms_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    messaging_service_sid: Mapped[str | None] = mapped_column(String(64))
    text_window_start: Mapped[time] = mapped_column(Time, default=time(8, 0))
    text_window_end: Mapped[time] = mapped_column(Time, default=time(21, 0))
    hours_start: Mapped[time] = mapped_column(Time, default=time(8, 0))
    hours_end: Mapped[time] = mapped_column(Time, default=time(17, 0))
    # ISO weekdays the clinic is open, e.g. "1,2,3,4,5" (Monday to Friday).
    open_weekdays: Mapped[str] = mapped_column(String(20), default="1,2,3,4,5")
    escalation_minutes: Mapped[int] = mapped_column(Integer, default=15)
    use_first_names: Mapped[bool] = mapped_column(Boolean, default=True)
    portal_links_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    idle_timeout_minutes: Mapped[int] = mapped_column(Integer, default=15)
    recommendation_limit_days: Mapped[int] = mapped_column(Integer, default=7)
    disengage_after_attempts: Mapped[int] = mapped_column(Integer, default=3)
    default_cadence_days: Mapped[int] = mapped_column(Integer, default=14)
    response_cadence_days: Mapped[int] = mapped_column(Integer, default=28)
    review_weekday: Mapped[int | None] = mapped_column(Integer)
    review_time: Mapped[time | None] = mapped_column(Time)
    enrollment_script: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()

    escalation_steps: Mapped[list[EscalationStep]] = relationship(
        back_populates="clinic", order_by="EscalationStep.position", cascade="all, delete-orphan"
    )


class EscalationStep(Base):
    """One rung of a clinic's risk escalation chain.

    Position 0 is the after-hours on-call person; positions 1, 2, ... are paged in turn when an
    urgent item waits past the clinic's limit; the clinic lead stands last.
    """

    __tablename__ = "escalation_steps"
    __table_args__ = (
        UniqueConstraint("clinic_id", "position"),
        CheckConstraint("position >= 0", name="position_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = fk("clinics.id", ondelete="CASCADE")
    position: Mapped[int] = mapped_column(Integer)
    staff_id: Mapped[int] = fk("staff.id", ondelete="CASCADE")

    clinic: Mapped[Clinic] = relationship(back_populates="escalation_steps")
    staff: Mapped[Staff] = relationship()


class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (CheckConstraint("failed_logins >= 0", name="failed_logins_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    phone: Mapped[str | None] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="staff", cascade="all, delete-orphan"
    )


class Membership(Base):
    """A staff member's role in one clinic; one person may hold several roles."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("staff_id", "clinic_id", "role"),
        one_of("role", ROLES),
        CheckConstraint("fte > 0 AND fte <= 1.5", name="fte_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = fk("staff.id", ondelete="CASCADE")
    clinic_id: Mapped[int] = fk("clinics.id", ondelete="CASCADE")
    role: Mapped[str] = mapped_column(String(32))
    fte: Mapped[float] = mapped_column(Float, default=1.0)

    staff: Mapped[Staff] = relationship(back_populates="memberships")
    clinic: Mapped[Clinic] = relationship()


class Patient(Base):
    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("clinic_id", "mrn"),
        one_of("language", LANGUAGES),
        Index("ix_patients_phone_e164", "phone_e164"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = fk("clinics.id")
    mrn: Mapped[str] = mapped_column(String(40))
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    phone_e164: Mapped[str | None] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5), default="en")
    timezone: Mapped[str | None] = mapped_column(String(64))
    care_manager_id: Mapped[int | None] = fk("staff.id", nullable=True)
    treating_clinician_id: Mapped[int | None] = fk("staff.id", nullable=True)
    sms_consent_at: Mapped[datetime | None]
    sms_opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when a carrier says the number cannot take texts (21610, 21211, ...).
    phone_problem: Mapped[str | None] = mapped_column(String(120))
    phone_problem_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()

    clinic: Mapped[Clinic] = relationship()
    care_manager: Mapped[Staff | None] = relationship(foreign_keys=[care_manager_id])
    treating_clinician: Mapped[Staff | None] = relationship(foreign_keys=[treating_clinician_id])

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def zone(self) -> str:
        return self.timezone or self.clinic.timezone


class ConsentEvent(Base):
    """The SMS consent log: every opt-in, opt-out and keyword, with its wording and source."""

    __tablename__ = "consent_events"
    __table_args__ = (one_of("kind", CONSENT_EVENT_KINDS), one_of("source", CONSENT_SOURCES))

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = fk("patients.id", ondelete="CASCADE")
    kind: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32))
    wording: Mapped[str] = mapped_column(Text)
    staff_id: Mapped[int | None] = fk("staff.id", nullable=True)
    message_id: Mapped[int | None] = fk("messages.id", nullable=True)
    detail: Mapped[dict | None] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = created_at()
