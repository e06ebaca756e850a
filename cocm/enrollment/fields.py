"""Checks of single values shared by enrollment and clinic setup: phone numbers, time zones."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers

# The zones offered first in pickers; any valid IANA zone is accepted.
US_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
)


def us_phone_e164(text: str) -> str:
    """A US phone number as typed (any punctuation, optional +1) in E.164 form.

    Raises ValueError with a message to show next to the field.
    """
    raw = (text or "").strip()
    if not raw:
        raise ValueError("Enter a phone number.")
    try:
        number = phonenumbers.parse(raw, "US")
    except phonenumbers.NumberParseException:
        raise ValueError(
            "This is not a phone number; enter 10 digits, e.g. 202-555-0143."
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("This phone number is not valid; check the area code and the digits.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def valid_zone(name: str) -> bool:
    """True when ``name`` is an IANA time zone this machine knows."""
    if not name or len(name) > 64:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
