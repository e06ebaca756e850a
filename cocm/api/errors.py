"""What the API's services raise; ``staff_app.api`` turns each into a problem response.

They carry no HTTP status: the web layer decides that (Invalid -> 422, Conflict -> 409,
NotFound -> 404).
"""

from __future__ import annotations


class ApiError(ValueError):
    """A request the service refuses; ``errors`` lists (field, message) pairs, maybe empty."""

    title = "Request refused"

    def __init__(self, detail: str, errors: list[tuple[str, str]] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class Invalid(ApiError):
    """Input that cannot be accepted as it is; the fields say what to correct."""

    title = "Invalid request"

    @classmethod
    def field(cls, name: str, message: str) -> Invalid:
        return cls(message, [(name, message)])


class Conflict(ApiError):
    """Valid input that the current state of the record does not allow (already enrolled,
    already closed, an MRN in use)."""

    title = "Conflict with the current state"


class NotFound(ApiError):
    """Nothing the caller may see has this id (another clinic's object looks the same)."""

    title = "Not found"
