"""Case reviews with the psychiatric consultant, their items and recommendations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocm.db import Base
from cocm.models._types import created_at, fk, one_of
from cocm.models.enums import (
    RECOMMENDATION_KINDS,
    RECOMMENDATION_STATUSES,
    REVIEW_REASONS,
    REVIEW_STATUSES,
)
from cocm.models.people import Patient


class CaseReview(Base):
    __tablename__ = "case_reviews"
    __table_args__ = (
        UniqueConstraint("clinic_id", "scheduled_for"),
        one_of("status", REVIEW_STATUSES),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = fk("clinics.id")
    scheduled_for: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="planned")
    consultant_id: Mapped[int | None] = fk("staff.id", nullable=True)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()

    items: Mapped[list[CaseReviewItem]] = relationship(
        back_populates="review", order_by="CaseReviewItem.position"
    )


class CaseReviewAttendee(Base):
    __tablename__ = "case_review_attendees"

    review_id: Mapped[int] = mapped_column(
        ForeignKey("case_reviews.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True
    )


class CaseReviewItem(Base):
    """One patient on a review's agenda, why they are there, and the consultant's assessment."""

    __tablename__ = "case_review_items"
    __table_args__ = (
        UniqueConstraint("review_id", "patient_id"),
        one_of("reason", REVIEW_REASONS),
        CheckConstraint("minutes IS NULL OR minutes >= 0", name="minutes_nonnegative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = fk("case_reviews.id", ondelete="CASCADE", index=False)
    patient_id: Mapped[int] = fk("patients.id", ondelete="CASCADE")
    episode_id: Mapped[int | None] = fk("episodes.id", nullable=True)
    reason: Mapped[str] = mapped_column(String(32))
    reason_note: Mapped[str | None] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    added_by_id: Mapped[int | None] = fk("staff.id", nullable=True)
    assessment: Mapped[str | None] = mapped_column(Text)
    minutes: Mapped[int | None] = mapped_column(Integer)
    reviewed_at: Mapped[datetime | None]

    review: Mapped[CaseReview] = relationship(back_populates="items")
    patient: Mapped[Patient] = relationship()


class Recommendation(Base):
    """A consultant's recommendation and its loop: proposed, decided, communicated."""

    __tablename__ = "recommendations"
    __table_args__ = (
        one_of("kind", RECOMMENDATION_KINDS),
        one_of("status", RECOMMENDATION_STATUSES),
        CheckConstraint(
            "status <> 'declined' OR decision_reason IS NOT NULL", name="declined_has_reason"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_item_id: Mapped[int] = fk("case_review_items.id", ondelete="CASCADE")
    patient_id: Mapped[int] = fk("patients.id", ondelete="CASCADE")
    kind: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text)
    dose: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default="proposed")
    proposed_by_id: Mapped[int] = fk("staff.id")
    clinician_id: Mapped[int | None] = fk("staff.id", nullable=True)
    decided_by_id: Mapped[int | None] = fk("staff.id", nullable=True)
    decided_at: Mapped[datetime | None]
    decision_reason: Mapped[str | None] = mapped_column(Text)
    modified_detail: Mapped[str | None] = mapped_column(Text)
    communicated_by_id: Mapped[int | None] = fk("staff.id", nullable=True)
    communicated_at: Mapped[datetime | None]
    communicated_how: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = created_at()

    item: Mapped[CaseReviewItem] = relationship()
