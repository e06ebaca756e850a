"""Cursor pagination: a cursor is the last id of a page as opaque URL-safe base64.

A list is read in a fixed order; the next page starts after the item the cursor names. Lists
read from a table use ``id > cursor``; lists computed in memory (the registry, the queue, the
billing month) continue after the named row, and refuse a cursor whose row is no longer listed.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import TypeVar

from cocm.api.errors import Invalid

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_STALE = "This cursor no longer matches the list (its row left it); start again without one."


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode("ascii")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None) -> int | None:
    """The id a cursor names; None for no cursor. Raises Invalid for anything else."""
    if cursor is None or cursor == "":
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raise Invalid.field("cursor", "This cursor is not one the API gave out.") from None
    if not text.isdigit() or len(text) > 18:
        raise Invalid.field("cursor", "This cursor is not one the API gave out.")
    return int(text)


def page_of(
    rows: Sequence[T], limit: int, cursor: str | None, key: Callable[[T], int]
) -> tuple[list[T], str | None]:
    """One page of an in-memory list in its own order, and the cursor of the next page."""
    after = decode_cursor(cursor)
    start = 0
    if after is not None:
        positions = [i for i, row in enumerate(rows) if key(row) == after]
        if not positions:
            raise Invalid.field("cursor", _STALE)
        start = positions[0] + 1
    page = list(rows[start : start + limit])
    more = start + limit < len(rows)
    return page, encode_cursor(key(page[-1])) if more and page else None


def next_cursor(fetched: Sequence[T], limit: int, key: Callable[[T], int]) -> str | None:
    """For a query that fetched ``limit + 1`` rows: the cursor if there is another page."""
    if len(fetched) > limit:
        return encode_cursor(key(fetched[limit - 1]))
    return None
