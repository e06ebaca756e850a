"""Audit events and API tokens."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cocm.db import Base
from cocm.models._types import created_at, fk


class AuditEvent(Base):
    """Who did what to which patient, when and from where. Rows are only ever added."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_patient_time", "patient_id", "occurred_at"),
        # A person's running timer is their latest timer event of the last hours (cocm.timer).
        Index("ix_audit_events_staff_time", "staff_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = created_at()
    staff_id: Mapped[int | None] = fk("staff.id", nullable=True)
    api_token_id: Mapped[int | None] = fk("api_tokens.id", nullable=True)
    clinic_id: Mapped[int | None] = fk("clinics.id", nullable=True)
    patient_id: Mapped[int | None] = mapped_column(Integer)  # kept even if the patient goes
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(Integer)
    remote_addr: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[dict | None] = mapped_column(JSON)


class ApiToken(Base):
    """A bearer token for /api/v1; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = fk("staff.id", ondelete="CASCADE")
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = created_at()
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
