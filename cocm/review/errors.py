"""Errors of the case-review services."""

from __future__ import annotations


class ReviewError(ValueError):
    """Input the service cannot accept; ``field`` names the form field (None: the whole form)."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class NotAllowed(PermissionError):
    """The person does not hold the role this step needs; the message says who may do it."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message
