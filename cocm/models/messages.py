"""Text conversations, every message in and out, and the outbox of proactive sends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocm.db import Base
from cocm.models._types import created_at, fk, one_of
from cocm.models.enums import (
    CONVERSATION_KINDS,
    CONVERSATION_STATUSES,
    DIRECTIONS,
    INSTRUMENTS,
    MESSAGE_STATUSES,
    OUTBOX_STATUSES,
)
from cocm.models.people import Patient


class Conversation(Base):
    """A check-in or contact confirmation by text; at most one open per patient."""

    __tablename__ = "conversations"
    __table_args__ = (
        one_of("kind", CONVERSATION_KINDS),
        one_of("status", CONVERSATION_STATUSES),
        one_of("instrument", INSTRUMENTS),
        Index(
            "uq_conversations_one_open_per_patient",
            "patient_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_conversations_status_last_outbound", "status", "last_outbound_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = fk("patients.id", ondelete="CASCADE")
    kind: Mapped[str] = mapped_column(String(24))
    instrument: Mapped[str | None] = mapped_column(String(8))
    assessment_id: Mapped[int | None] = fk("assessments.id", nullable=True)
    contact_id: Mapped[int | None] = fk("contacts.id", nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    # The conversation engine's state (answers so far, re-ask streak, ...), as JSON.
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    opened_at: Mapped[datetime]
    last_outbound_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(String(32))
    # A signed portal link for this questionnaire may be used once.
    link_used_at: Mapped[datetime | None]

    patient: Mapped[Patient] = relationship()


class Message(Base):
    """One text, inbound or outbound, to a patient or (pages) to a staff member."""

    __tablename__ = "messages"
    __table_args__ = (
        one_of("direction", DIRECTIONS),
        one_of("status", MESSAGE_STATUSES),
        CheckConstraint("segments >= 0", name="segments_nonnegative"),
        Index("ix_messages_patient_created", "patient_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[str] = mapped_column(String(8))
    patient_id: Mapped[int | None] = fk(
        "patients.id", nullable=True, ondelete="CASCADE", index=False
    )
    staff_id: Mapped[int | None] = fk("staff.id", nullable=True)
    clinic_id: Mapped[int | None] = fk("clinics.id", nullable=True)
    conversation_id: Mapped[int | None] = fk("conversations.id", nullable=True)
    kind: Mapped[str | None] = mapped_column(String(32))
    body: Mapped[str] = mapped_column(Text)
    from_number: Mapped[str | None] = mapped_column(String(20))
    to_number: Mapped[str | None] = mapped_column(String(20))
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(16))
    segments: Mapped[int] = mapped_column(Integer, default=1)
    # For an inbound message: the TwiML we answered, so a replayed webhook gets the same answer.
    reply_twiml: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    status_at: Mapped[datetime | None]


class OutboxItem(Base):
    """A proactive message waiting to be delivered by a job after the commit that wrote it."""

    __tablename__ = "outbox"
    __table_args__ = (
        one_of("status", OUTBOX_STATUSES),
        CheckConstraint("attempts >= 0", name="attempts_nonnegative"),
        Index("ix_outbox_status_due", "status", "not_before"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = fk("messages.id", ondelete="CASCADE", index=False)
    # Unique per thing the message is about (e.g. "reminder:conversation:12"): never sent twice.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    not_before: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(255))
    enqueued_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
    done_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()

    message: Mapped[Message] = relationship()
