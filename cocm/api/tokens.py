"""API bearer tokens (DESIGN 8): shown once at creation, stored only as a SHA-256.

A token acts as the staff member it belongs to, with their roles and clinics at the moment of
each request, so a role removed in clinic setup is removed from their tokens too. A revoked
token, or one of a deactivated person, is refused.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.models import ApiToken, Membership, Staff

TOKEN_PREFIX = "cocm_"
PREFIX_LENGTH = 12  # what lists show: "cocm_" and the first 7 random characters
NAME_MAX = 80


class TokenError(ValueError):
    """A token could not be created or changed; the message says why."""


def hash_token(token: str) -> str:
    """The stored form of a token. A plain SHA-256 suffices: tokens are 256 random bits."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(
    session: Session, staff: Staff, name: str | None, now: datetime
) -> tuple[ApiToken, str]:
    """Create a token for ``staff``; returns the row and the token itself (never stored)."""
    if not staff.is_active:
        raise TokenError(f"{staff.email} is deactivated; reactivate them before creating a token")
    if not staff.memberships:
        raise TokenError(f"{staff.email} has no role in any clinic; a token would do nothing")
    label = (name or "").strip() or f"token {now:%Y-%m-%d %H:%M}"
    if len(label) > NAME_MAX:
        raise TokenError(f"keep the token name under {NAME_MAX} characters")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        staff_id=staff.id,
        name=label,
        token_hash=hash_token(token),
        prefix=token[:PREFIX_LENGTH],
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row, token


def authenticate(session: Session, token: str | None, now: datetime) -> ApiToken | None:
    """The live token matching ``token`` (its last use set to ``now``), or None."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    staff = session.get(Staff, row.staff_id)
    if staff is None or not staff.is_active:
        return None
    row.last_used_at = now
    return row


def revoke(session: Session, token: ApiToken, now: datetime) -> bool:
    """Revoke a token; False when it was already revoked (a button pressed twice)."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now
    session.flush()
    return True


def tokens_for_clinics(session: Session, clinic_ids: Collection[int]) -> list[tuple]:
    """Tokens of everyone holding a role in ``clinic_ids``, live ones first, newest first.

    Rows of (ApiToken, Staff).
    """
    if not clinic_ids:
        return []
    members = select(Membership.staff_id).where(Membership.clinic_id.in_(list(clinic_ids)))
    return list(
        session.execute(
            select(ApiToken, Staff)
            .join(Staff, Staff.id == ApiToken.staff_id)
            .where(ApiToken.staff_id.in_(members))
            .order_by(
                ApiToken.revoked_at.is_not(None), ApiToken.created_at.desc(), ApiToken.id.desc()
            )
        ).all()
    )


def token_in_clinics(
    session: Session, token_id: int, clinic_ids: Collection[int]
) -> ApiToken | None:
    """The token if it belongs to someone with a role in ``clinic_ids``."""
    if not clinic_ids:
        return None
    members = select(Membership.staff_id).where(Membership.clinic_id.in_(list(clinic_ids)))
    return session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.staff_id.in_(members))
    )
