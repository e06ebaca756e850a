"""The one error type of clinic setup."""

from __future__ import annotations


class ClinicError(ValueError):
    """A setting or staff change the form must correct; ``field`` names the form field."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message
