"""Idempotency keys for creates: the same key and request answer the same result, once.

The key row is written in the same transaction as what the request creates, so a create that
fails leaves no key behind and may be retried. Two requests with one key at the same moment:
the database's unique constraint makes the second wait for the first (PostgreSQL) or for the
write lock (SQLite), then find its row and replay it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocm.api.errors import Invalid
from cocm.models import ApiIdempotencyKey

KEY_MAX = 255
_MISMATCH = (
    "This Idempotency-Key was already used with a different request; use a new key for a new "
    "request."
)


@dataclass(frozen=True)
class Stored:
    status_code: int
    body: str
    location: str | None


def fingerprint(method: str, path: str, body: object) -> str:
    """A hash of what was asked: method, path and the body in canonical JSON."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > KEY_MAX or not key.isprintable():
        raise Invalid.field(
            "Idempotency-Key", f"Use 1 to {KEY_MAX} printable characters for the key."
        )
    return key


def _stored(session: Session, token_id: int, key: str, request_hash: str) -> Stored | None:
    row = session.scalar(
        select(ApiIdempotencyKey).where(
            ApiIdempotencyKey.api_token_id == token_id, ApiIdempotencyKey.key == key
        )
    )
    if row is None:
        return None
    if row.request_hash != request_hash:
        raise Invalid.field("Idempotency-Key", _MISMATCH)
    return Stored(row.status_code, row.response_body, row.location)


def claim(
    session: Session, token_id: int, key: str, request_hash: str, now: datetime
) -> tuple[ApiIdempotencyKey | None, Stored | None]:
    """Take the key for this request, or find the answer already given under it.

    Returns (row, None) when the request should go ahead (then ``finish`` the row), or
    (None, stored answer) to replay. Raises Invalid when the key was used for another request.
    The row is written before the work, so a concurrent request with the same key waits on the
    unique constraint until this one commits, then replays its answer.
    """
    stored = _stored(session, token_id, key, request_hash)
    if stored is not None:
        return None, stored
    row = ApiIdempotencyKey(
        api_token_id=token_id,
        key=key,
        request_hash=request_hash,
        status_code=0,  # filled in by finish(), in the same transaction
        response_body="",
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        stored = _stored(session, token_id, key, request_hash)
        if stored is None:
            raise
        return None, stored
    return row, None


def finish(session: Session, row: ApiIdempotencyKey, answer: Stored) -> None:
    """Keep the answer given under the key (committed with the work it describes)."""
    row.status_code = answer.status_code
    row.response_body = answer.body
    row.location = answer.location
    session.flush()
