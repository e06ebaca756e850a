"""Every audit event written while an API token acts carries that token's id.

Domain services record their own events (``time_logged``, ...) knowing only the staff member;
for the length of an API request the session remembers the token, and a ``before_flush`` hook
adds its id to each new event, so the audit log always tells a person from their script.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.orm import Session

from cocm.models import AuditEvent

INFO_KEY = "api_token_id"


def acting_token(session: Session, token_id: int | None) -> None:
    """Stamp events flushed by ``session`` with ``token_id`` from now on (None stops it)."""
    if token_id is None:
        session.info.pop(INFO_KEY, None)
    else:
        session.info[INFO_KEY] = token_id


def _stamp(session: Session, _context, _instances) -> None:
    token_id = session.info.get(INFO_KEY)
    if token_id is None:
        return
    for obj in session.new:
        if isinstance(obj, AuditEvent) and obj.api_token_id is None:
            obj.api_token_id = token_id


def install() -> None:
    """Listen on every session (once): called when the API is registered on an app."""
    if not event.contains(Session, "before_flush", _stamp):
        event.listen(Session, "before_flush", _stamp)
