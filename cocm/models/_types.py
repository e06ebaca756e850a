"""Small helpers shared by the model modules."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from cocm.clock import utcnow


def one_of(column: str, values: tuple[str, ...], name: str | None = None) -> CheckConstraint:
    """A CHECK that ``column`` holds one of ``values`` (enums as readable strings)."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"{column} IN ({quoted})", name=name or f"{column}_valid")


def fk(target: str, *, nullable: bool = False, ondelete: str | None = None, index: bool = True):
    """A foreign-key integer column."""
    return mapped_column(
        Integer, ForeignKey(target, ondelete=ondelete), nullable=nullable, index=index
    )


def created_at() -> Mapped[datetime]:
    return mapped_column(default=utcnow, nullable=False)
