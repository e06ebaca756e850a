"""The errors enrollment raises, naming the form field each belongs to."""

from __future__ import annotations


class EnrollmentError(ValueError):
    """Input enrollment cannot accept; ``field`` names the form field to show it next to."""

    def __init__(self, field: str, message: str, errors: list[tuple[str, str]] | None = None):
        super().__init__(message)
        self.field = field
        self.message = message
        # Every (field, message) found in the same submission; the first is field/message.
        self.errors = errors or [(field, message)]


class AlreadyEnrolled(EnrollmentError):
    """The patient already has an open episode (often: the same form posted twice)."""

    def __init__(self, patient_id: int):
        super().__init__("mrn", "This patient is already enrolled.")
        self.patient_id = patient_id
