"""Idempotency keys of the JSON API: a create retried with the same key answers the same result.

A key belongs to the API token that sent it. The row keeps a fingerprint of the request (method,
path and body) and the response that was given, so a retry replays it without a second row, and
the same key sent with another request is refused.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from cocm.db import Base
from cocm.models._types import created_at, fk


class ApiIdempotencyKey(Base):
    __tablename__ = "api_idempotency_keys"
    __table_args__ = (UniqueConstraint("api_token_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The unique constraint's leading column indexes it already.
    api_token_id: Mapped[int] = fk("api_tokens.id", ondelete="CASCADE", index=False)
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = created_at()
