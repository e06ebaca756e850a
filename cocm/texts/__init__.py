"""Texts sent to patients and staff: one function and one template per kind of message.

``render(kind, lang, **context)`` renders ``templates/<lang>/<kind>.txt`` (Jinja2, autoescape
off, StrictUndefined); the functions in ``messages`` are its typed front doors, one per kind.
``segments(text)`` and ``encoding(text)`` tell what a text costs to send.
"""

from cocm.texts.items import item_text, legend, stem
from cocm.texts.messages import (
    checkin_complete,
    checkin_open,
    contact_confirm_request,
    contact_confirmed,
    contact_reask,
    contact_reschedule_ack,
    expired,
    help_text,
    needs_person_ack,
    next_item,
    no_open_conversation,
    optin_confirm,
    optout_confirm,
    portal_code,
    reask,
    reminder,
    safety_reply,
    staff_page,
    unknown_number,
    welcome,
)
from cocm.texts.render import KINDS, LANGUAGES, language, render
from cocm.texts.segments import SEGMENT_BUDGET, encoding, segments, within_budget

__all__ = [
    "KINDS",
    "LANGUAGES",
    "SEGMENT_BUDGET",
    "checkin_complete",
    "checkin_open",
    "contact_confirm_request",
    "contact_confirmed",
    "contact_reask",
    "contact_reschedule_ack",
    "encoding",
    "expired",
    "help_text",
    "item_text",
    "language",
    "legend",
    "needs_person_ack",
    "next_item",
    "no_open_conversation",
    "optin_confirm",
    "optout_confirm",
    "portal_code",
    "reask",
    "reminder",
    "render",
    "safety_reply",
    "segments",
    "staff_page",
    "stem",
    "unknown_number",
    "welcome",
    "within_budget",
]
