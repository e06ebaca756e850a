"""Text conversations with patients: starting check-ins and contact confirmations, the welcome
text, reminders and expiry, and how their results are stored."""

from cocm.checkins.service import (
    NotTextable,
    expire_conversation,
    remind_conversation,
    require_textable,
    send_welcome,
    start_checkin,
    start_contact_confirmation,
)
from cocm.checkins.state import from_json, patient_context, to_json

__all__ = [
    "NotTextable",
    "expire_conversation",
    "from_json",
    "patient_context",
    "remind_conversation",
    "require_textable",
    "send_welcome",
    "start_checkin",
    "start_contact_confirmation",
    "to_json",
]
