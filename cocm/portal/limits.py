"""Rate limits for the portal's sign-in, counted in the database (they hold with Redis down).

Each limit is "at most N events of an action per key in a sliding window", where the key is a
normalized phone number or a remote address, both stored only as keyed hashes. A number is
limited whether or not any patient has it, so a refusal never tells whether it is known.
Behind a reverse proxy the remote address is the proxy's unless the app trusts its
X-Forwarded-For, which is why the per-address limits are generous.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from cocm.models import PortalAttempt
from cocm.portal.hashing import keyed_hash

CODE_REQUEST = "code_request"
CODE_CHECK = "code_check"  # a wrong code
LINK_CHECK = "link_check"  # a link that was not valid
NUMBER = "number"
ADDRESS = "address"


@dataclass(frozen=True)
class Limit:
    action: str
    scope: str
    most: int
    per: timedelta


LIMITS: tuple[Limit, ...] = (
    Limit(CODE_REQUEST, NUMBER, 3, timedelta(minutes=15)),
    Limit(CODE_REQUEST, NUMBER, 10, timedelta(hours=24)),
    Limit(CODE_REQUEST, ADDRESS, 20, timedelta(minutes=15)),
    Limit(CODE_REQUEST, ADDRESS, 100, timedelta(hours=24)),
    Limit(CODE_CHECK, ADDRESS, 15, timedelta(minutes=15)),
    Limit(LINK_CHECK, ADDRESS, 20, timedelta(minutes=15)),
)
# Nothing older than the longest window is ever counted.
KEEP = max(limit.per for limit in LIMITS)


@dataclass(frozen=True)
class Refusal:
    """A limit that is full: which one, and how many whole minutes until one slot frees up."""

    limit: Limit
    wait_minutes: int


def key_for(scope: str, value: str | None) -> str:
    """The stored key of a number or an address (a keyed hash; "unknown" when missing)."""
    return keyed_hash(f"limit.{scope}", value or "unknown")


def check(
    session: Session, action: str, values: Mapping[str, str | None], now: datetime
) -> Refusal | None:
    """The first full limit of ``action`` for the given {scope: value}, or None when allowed."""
    for limit in LIMITS:
        if limit.action != action or limit.scope not in values:
            continue
        since = now - limit.per
        count, oldest = session.execute(
            select(func.count(PortalAttempt.id), func.min(PortalAttempt.occurred_at)).where(
                PortalAttempt.action == action,
                PortalAttempt.scope == limit.scope,
                PortalAttempt.key_hash == key_for(limit.scope, values[limit.scope]),
                PortalAttempt.occurred_at > since,
            )
        ).one()
        if count >= limit.most:
            wait = (oldest + limit.per - now).total_seconds() if oldest else 60
            return Refusal(limit, max(1, math.ceil(wait / 60)))
    return None


def record(session: Session, action: str, values: Mapping[str, str | None], now: datetime) -> None:
    """Count one event of ``action`` against each given {scope: value}."""
    for scope, value in values.items():
        session.add(
            PortalAttempt(
                action=action, scope=scope, key_hash=key_for(scope, value), occurred_at=now
            )
        )
    session.flush()


def prune(session: Session, now: datetime) -> int:
    """Delete attempts too old to count; returns how many went. Safe to run at any time."""
    result = session.execute(
        delete(PortalAttempt)
        .where(PortalAttempt.occurred_at <= now - KEEP)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
