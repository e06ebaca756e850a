"""The response queue with its event history and pages, and contacts with patients."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocm.db import Base
from cocm.models._types import created_at, fk, one_of
from cocm.models.enums import (
    CONTACT_KINDS,
    CONTACT_OUTCOMES,
    CONTACT_TEMPLATES,
    QUEUE_EVENT_KINDS,
    QUEUE_KINDS,
    QUEUE_PRIORITIES,
    QUEUE_STATUSES,
    URGENT_OUTCOMES,
)
from cocm.models.people import Patient, Staff


class QueueItem(Base):
    __tablename__ = "queue_items"
    __table_args__ = (
        one_of("kind", QUEUE_KINDS),
        one_of("priority", QUEUE_PRIORITIES),
        one_of("status", QUEUE_STATUSES),
        one_of("outcome", URGENT_OUTCOMES),
        # DESIGN 5.4: an urgent item closes only with a structured outcome and a note.
        CheckConstraint(
            "priority <> 'urgent' OR status <> 'closed' "
            "OR (outcome IS NOT NULL AND outcome_note IS NOT NULL)",
            name="urgent_closes_with_outcome",
        ),
        Index("ix_queue_items_clinic_status", "clinic_id", "status", "priority", "opened_at"),
        Index("ix_queue_items_escalation", "status", "next_escalation_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = fk("clinics.id", index=False)
    patient_id: Mapped[int | None] = fk("patients.id", nullable=True, ondelete="CASCADE")
    kind: Mapped[str] = mapped_column(String(24))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    status: Mapped[str] = mapped_column(String(8), default="open")
    reason: Mapped[str] = mapped_column(String(255))
    # Keeps one open item per cause (e.g. "needs_person:conversation:7").
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    message_id: Mapped[int | None] = fk("messages.id", nullable=True)
    assessment_id: Mapped[int | None] = fk("assessments.id", nullable=True)
    is_drill: Mapped[bool] = mapped_column(Boolean, default=False)
    opened_at: Mapped[datetime]
    claimed_by_id: Mapped[int | None] = fk("staff.id", nullable=True)
    claimed_at: Mapped[datetime | None]
    acknowledged_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = fk("staff.id", nullable=True)
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(32))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    next_step: Mapped[str | None] = mapped_column(Text)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    next_escalation_at: Mapped[datetime | None]

    patient: Mapped[Patient | None] = relationship()
    claimed_by: Mapped[Staff | None] = relationship(foreign_keys=[claimed_by_id])
    events: Mapped[list[QueueEvent]] = relationship(
        back_populates="item", order_by="QueueEvent.occurred_at"
    )


class QueueEvent(Base):
    """Every step of a queue item, timestamped (DESIGN 5.5)."""

    __tablename__ = "queue_events"
    __table_args__ = (one_of("kind", QUEUE_EVENT_KINDS),)

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_item_id: Mapped[int] = fk("queue_items.id", ondelete="CASCADE")
    kind: Mapped[str] = mapped_column(String(16))
    staff_id: Mapped[int | None] = fk("staff.id", nullable=True)
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = created_at()

    item: Mapped[QueueItem] = relationship(back_populates="events")


class Page(Base):
    """A page to a staff member about an urgent item; one per item and escalation level."""

    __tablename__ = "pages"
    __table_args__ = (UniqueConstraint("queue_item_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    queue_item_id: Mapped[int] = fk("queue_items.id", ondelete="CASCADE", index=False)
    level: Mapped[int] = mapped_column(Integer)
    staff_id: Mapped[int] = fk("staff.id")
    message_id: Mapped[int | None] = fk("messages.id", nullable=True)
    is_drill: Mapped[bool] = mapped_column(Boolean, default=False)
    sent_at: Mapped[datetime] = created_at()


class Contact(Base):
    """A contact with a patient (or an attempt), with its minutes and the next contact."""

    __tablename__ = "contacts"
    __table_args__ = (
        one_of("kind", CONTACT_KINDS),
        one_of("outcome", CONTACT_OUTCOMES),
        one_of("template", CONTACT_TEMPLATES),
        CheckConstraint("minutes >= 0", name="minutes_nonnegative"),
        Index("ix_contacts_patient_occurred", "patient_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = fk("patients.id", ondelete="CASCADE", index=False)
    episode_id: Mapped[int | None] = fk("episodes.id", nullable=True)
    staff_id: Mapped[int] = fk("staff.id")
    kind: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    template: Mapped[str | None] = mapped_column(String(32))
    occurred_at: Mapped[datetime]
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(Text, default="")
    next_contact_at: Mapped[datetime | None]
    next_contact_confirmed_at: Mapped[datetime | None]
    reschedule_requested_at: Mapped[datetime | None]
    next_action: Mapped[str | None] = mapped_column(String(255))
    # Guards against a form posted twice creating two contacts.
    form_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_at()

    staff: Mapped[Staff] = relationship()
