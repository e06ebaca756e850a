"""Building blocks shared by every schema: strict request models, response models whose JSON
Schema lists every field as present, safe strings, ids, dates and the problem body."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    create_model,
)

from cocm.api.pagination import DEFAULT_LIMIT, MAX_LIMIT

MAX_ID = 2**31 - 1  # a 32-bit integer column: a larger id cannot exist
# C0 control characters other than tab, newline and carriage return, and DEL: PostgreSQL
# refuses NUL in text, and none of them belongs in a clinical record.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _printable(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _reasonable_day(value: date) -> date:
    if not 1900 <= value.year <= 2100:
        raise ValueError("must be a date between 1900 and 2100")
    return value


def _utc_moment(value: datetime) -> datetime:
    if not 2000 <= value.year <= 2100:
        raise ValueError("must be a time between the years 2000 and 2100")
    return value.astimezone(UTC)


def text(max_length: int, min_length: int = 0) -> type[str]:
    """A string trimmed of surrounding spaces, of bounded length, without control characters."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(_printable),
    ]


Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Day = Annotated[date, AfterValidator(_reasonable_day)]
Moment = Annotated[AwareDatetime, AfterValidator(_utc_moment)]
Month = Annotated[
    str, StringConstraints(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$"), Field(examples=["2026-03"])
]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=40), AfterValidator(_printable)]
Cursor = Annotated[
    str,
    StringConstraints(max_length=64),
    Field(description="The `next_cursor` of the previous page; omit for the first page."),
]
Limit = Annotated[
    int, Field(ge=1, le=MAX_LIMIT, description=f"Items per page (default {DEFAULT_LIMIT}).")
]


class RequestBody(BaseModel):
    """A JSON request body: unknown fields and loose types are refused (``"5"`` is not 5)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """Query-string parameters (always text on the wire, so converted, not strict)."""

    model_config = ConfigDict(extra="ignore")


class PageQuery(Query):
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor | None = None


class ResponseBody(BaseModel):
    """A response body; its schema lists every field as always present (null when empty)."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)


class FieldError(ResponseBody):
    field: str = Field(description="The body field, query parameter or header at fault.")
    message: str


class Problem(ResponseBody):
    """An error, as RFC 9457 problem details (``application/problem+json``)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] = Field(default_factory=list)


def page_model(name: str, item: type[BaseModel]) -> type[ResponseBody]:
    """``{items, next_cursor}`` for one kind of item."""
    return create_model(
        name,
        __base__=ResponseBody,
        __doc__=f"One page of {item.__name__} items, in a fixed order.",
        items=(list[item], ...),
        next_cursor=(
            str | None,
            Field(None, description="Pass as `cursor` for the next page; null on the last."),
        ),
    )
