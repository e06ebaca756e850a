"""Rendering of message templates: ``templates/<lang>/<kind>.txt`` through Jinja2.

Plain text, so autoescaping is off; StrictUndefined so a missing value fails loudly in tests
instead of sending "Hi ," to a patient. Each line of a template is a line of the message: runs
of spaces are collapsed, lines are trimmed and empty lines (left by optional parts) are dropped.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("en", "es")
KINDS = (
    "welcome",
    "checkin_open",
    "next_item",
    "reask",
    "checkin_complete",
    "reminder",
    "safety_reply",
    "help",
    "optout_confirm",
    "optin_confirm",
    "contact_confirm_request",
    "contact_reask",
    "contact_confirmed",
    "contact_reschedule_ack",
    "unknown_number",
    "no_open_conversation",
    "needs_person_ack",
    "staff_page",
    "portal_code",
    "expired",
)

_SPACES = re.compile(r"[ \t]+")


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def language(lang: str | None) -> str:
    """The supported language to write in: "es-MX" -> "es"; anything unsupported -> "en"."""
    base = (lang or "").split("-")[0].split("_")[0].lower()
    return base if base in LANGUAGES else "en"


def render(kind: str, lang: str | None, **context: object) -> str:
    """Render message ``kind`` in ``lang`` (falling back to English) with ``context``."""
    if kind not in KINDS:
        raise ValueError(f"unknown message kind {kind!r}")
    template = _environment().get_template(f"{language(lang)}/{kind}.txt")
    text = template.render(**context)
    lines = (_SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)
