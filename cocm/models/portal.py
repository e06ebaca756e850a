"""Patient portal sign-in: one-time codes sent by text, and the rate-limit record.

Neither table holds a code or a phone number in the clear: a code is kept as a keyed hash, and
rate-limit keys (a normalized number, a remote address) as keyed hashes too. Both live in the
database so that sign-in limits hold with Redis down and across every web process.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from cocm.db import Base
from cocm.models._types import created_at, fk, one_of

ATTEMPT_ACTIONS = ("code_request", "code_check", "link_check")
ATTEMPT_SCOPES = ("number", "address")


class PortalSignInCode(Base):
    """A 6-digit code texted to a patient who asked to sign in; redeemable once.

    A request for a number no patient has still gets a row (``patient_id`` None) that can never
    be redeemed, so a known and an unknown number look and behave the same to whoever asked.
    The browser holds only ``ticket``, a random handle to this row.
    """

    __tablename__ = "portal_sign_in_codes"
    __table_args__ = (CheckConstraint("attempts >= 0", name="attempts_nonnegative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(43), unique=True)
    patient_id: Mapped[int | None] = fk("patients.id", nullable=True, ondelete="CASCADE")
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at()
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at: Mapped[datetime | None]
    requested_from: Mapped[str | None] = mapped_column(String(64))


class PortalAttempt(Base):
    """One counted event for the portal's rate limits, keyed by a hashed number or address."""

    __tablename__ = "portal_attempts"
    __table_args__ = (
        one_of("action", ATTEMPT_ACTIONS),
        one_of("scope", ATTEMPT_SCOPES),
        Index("ix_portal_attempts_lookup", "action", "scope", "key_hash", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(16))
    scope: Mapped[str] = mapped_column(String(8))
    key_hash: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(index=True)
