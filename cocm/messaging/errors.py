"""Send errors and how a provider's error is classified (DESIGN section 6, "Delivery").

- Transient (retried with backoff): HTTP 429, any 5xx, timeouts and transport errors, and the
  Twilio error codes 30001 (queue overflow), 30003 (unreachable handset), 30008 (unknown error),
  30022 (A2P 10DLC rate limit).
- Permanent (the message fails, never retried): 21610 (recipient replied STOP), 21211 (invalid
  'To' number), 21614 (not a mobile number), 21612 (number not reachable by SMS), 30004-30007
  (blocked, unknown destination, landline / unreachable carrier, carrier filtered), and any other
  4xx answer.

Only the listed permanent codes say something about the *patient's number*; those flag it
(``number_problem``). Other permanent errors (a 401 from a wrong auth token, a From number the
account does not own, ...) fail the message and tell staff, but never flag a patient.
"""

from __future__ import annotations

import re

TRANSIENT_CODES = frozenset({"30001", "30003", "30008", "30022"})
NUMBER_PROBLEM_CODES = frozenset(
    {"21610", "21211", "21614", "21612", "30004", "30005", "30006", "30007"}
)

# Short, human reasons shown on the patient's chart (phone_problem holds at most 120 characters).
NUMBER_PROBLEM_REASONS = {
    "21610": "The patient blocked texts from the clinic's number (replied STOP to the carrier).",
    "21211": "The phone number is not a valid number.",
    "21614": "The phone number is not a mobile number and cannot receive texts.",
    "21612": "The carrier cannot deliver texts to this phone number.",
    "30004": "Texts to this number are blocked by the recipient or the carrier.",
    "30005": "The phone number is unknown or no longer in service.",
    "30006": "The number is a landline or its carrier cannot receive texts.",
    "30007": "The carrier filtered our texts to this number.",
}

_PHONE = re.compile(r"\+?\d[\d\s().-]{7,}\d")


def normalize_code(code: object) -> str | None:
    """Provider error codes as short strings ("21610"); None when there is none."""
    if code is None or code == "":
        return None
    return str(code).strip()[:16] or None


def mask_phones(text: str) -> str:
    """Provider messages sometimes quote the number; keep its last two digits only."""
    return _PHONE.sub(lambda m: "***" + re.sub(r"\D", "", m.group())[-2:], text)


class SendError(Exception):
    """A send did not go through. ``code`` is the provider's error code (or a short word such as
    "timeout"); ``message`` is safe to store and log (phone numbers masked)."""

    def __init__(self, code: object, message: str):
        self.code = normalize_code(code)
        self.message = mask_phones(str(message))[:200]
        super().__init__(f"{self.code or 'error'}: {self.message}")

    @property
    def summary(self) -> str:
        """What ``outbox.last_error`` keeps."""
        return f"{self.code or 'error'}: {self.message}"[:255]


class TransientSendError(SendError):
    """Worth trying again later (rate limit, provider trouble, timeout, handset unreachable)."""


class PermanentSendError(SendError):
    """Trying again will not help."""

    @property
    def number_problem(self) -> bool:
        """True when the error says the recipient's number cannot take our texts."""
        return self.code in NUMBER_PROBLEM_CODES


def is_transient(http_status: int | None, code: object) -> bool:
    """Classify a provider error answer (see the module docstring); codes win over HTTP status."""
    code = normalize_code(code)
    if code in TRANSIENT_CODES:
        return True
    if code in NUMBER_PROBLEM_CODES:
        return False
    if http_status is None:
        return True  # no answer at all: a transport problem
    return http_status == 429 or http_status >= 500


def classify(http_status: int | None, code: object, message: str) -> SendError:
    """The SendError for a provider's error answer."""
    cls = TransientSendError if is_transient(http_status, code) else PermanentSendError
    return cls(normalize_code(code) or (str(http_status) if http_status else None), message)


def number_problem_reason(code: object) -> str | None:
    """The chart reason for a code that flags the number, else None."""
    return NUMBER_PROBLEM_REASONS.get(normalize_code(code) or "")
