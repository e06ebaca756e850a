"""Assessments and their per-item answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cocm.db import Base
from cocm.models._types import fk, one_of
from cocm.models.enums import ASSESSMENT_CHANNELS, ASSESSMENT_STATUSES, INSTRUMENTS


class Assessment(Base):
    __tablename__ = "assessments"
    __table_args__ = (
        one_of("instrument", INSTRUMENTS),
        one_of("channel", ASSESSMENT_CHANNELS),
        one_of("status", ASSESSMENT_STATUSES),
        CheckConstraint("total IS NULL OR (total >= 0 AND total <= 27)", name="total_range"),
        CheckConstraint(
            "status <> 'completed' OR (total IS NOT NULL AND completed_at IS NOT NULL)",
            name="completed_has_total",
        ),
        Index("ix_assessments_patient_instrument", "patient_id", "instrument", "completed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = fk("patients.id", ondelete="CASCADE", index=False)
    episode_id: Mapped[int | None] = fk("episodes.id", nullable=True)
    instrument: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="in_progress")
    total: Mapped[int | None] = mapped_column(Integer)
    severity: Mapped[str | None] = mapped_column(String(24))
    risk: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime]
    completed_at: Mapped[datetime | None]
    entered_by_id: Mapped[int | None] = fk("staff.id", nullable=True)

    answers: Mapped[list[AssessmentAnswer]] = relationship(
        back_populates="assessment",
        order_by="AssessmentAnswer.item_number",
        cascade="all, delete-orphan",
    )

    def answer_list(self, length: int) -> list[int | None]:
        """Answers in item order, None where unanswered."""
        values: list[int | None] = [None] * length
        for answer in self.answers:
            if 1 <= answer.item_number <= length:
                values[answer.item_number - 1] = answer.value
        return values


class AssessmentAnswer(Base):
    __tablename__ = "assessment_answers"
    __table_args__ = (
        UniqueConstraint("assessment_id", "item_number"),
        CheckConstraint("value >= 0 AND value <= 3", name="value_range"),
        CheckConstraint("item_number >= 1 AND item_number <= 10", name="item_number_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = fk("assessments.id", ondelete="CASCADE", index=False)
    item_number: Mapped[int] = mapped_column(Integer)
    value: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime]

    assessment: Mapped[Assessment] = relationship(back_populates="answers")
