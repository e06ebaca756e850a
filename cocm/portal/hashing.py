"""Keyed hashes for what the portal must recognise but never store: codes, numbers, addresses.

HMAC-SHA256 under a key derived from SECRET_KEY and a purpose, so a hash made for one purpose
never matches another, and a copy of the database alone cannot be matched against guesses.
"""

from __future__ import annotations

import hashlib
import hmac

from cocm.config import get_settings


def keyed_hash(purpose: str, value: str, secret: str | None = None) -> str:
    """Hex HMAC-SHA256 of ``value`` for ``purpose`` (64 characters)."""
    secret = secret if secret is not None else get_settings().secret_key
    key = hmac.new(secret.encode(), f"cocm.portal.{purpose}".encode(), hashlib.sha256).digest()
    return hmac.new(key, value.encode(), hashlib.sha256).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison."""
    return hmac.compare_digest(a.encode(), b.encode())
