"""Reading inbound texts: keywords, check-in answers and contact-confirmation choices.

Pure functions over strings; they never raise on any input (emoji, 2,000 characters, empty).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

from cocm.instruments import Option
from cocm.risk.phrases import normalize

OPT_OUT = "opt_out"
OPT_IN = "opt_in"
HELP = "help"

# DESIGN section 6, exactly. YES opts in only while the patient is opted out.
OPT_OUT_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
OPT_IN_WORDS = frozenset({"START", "UNSTOP"})
HELP_WORDS = frozenset({"HELP", "INFO"})
# Twilio's OptOutType form parameter, sent when its own keyword handling matched.
_OPT_OUT_TYPES = {"STOP": OPT_OUT, "START": OPT_IN, "HELP": HELP}

CONFIRM_WORDS = frozenset({"c", "confirm", "y", "yes", "ok", "okay", "si"})
RESCHEDULE_WORDS = frozenset({"r", "reschedule", "n", "no"})

# Whitespace and punctuation (anything but letters and digits) around the whole message.
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")
_DIGITS_ONLY = re.compile(r"[0-9 ]+")
_LEADING_DIGIT = re.compile(r"([0-3])(?: |$)")


def trimmed(text: str) -> str:
    """The message without surrounding whitespace or punctuation ("  Stop. " -> "Stop")."""
    return _EDGES.sub("", text)


def keyword(text: str, opted_out: bool, opt_out_type: str | None = None) -> tuple[str, str] | None:
    """Classify a whole message as a keyword: ``(action, keyword)`` or None.

    The keyword must be the whole message (any case, surrounding spaces and punctuation
    ignored), so "stop please" is not an opt-out. Twilio's ``OptOutType`` wins when present;
    the keyword reported is then the message itself (it may be a custom keyword).
    """
    # NFKC so full-width or styled letters ("ＳＴＯＰ") read as the keyword they look like.
    word = trimmed(unicodedata.normalize("NFKC", text)).upper()
    via_twilio = _OPT_OUT_TYPES.get((opt_out_type or "").strip().upper())
    if via_twilio is not None:
        return via_twilio, (word[:40] or (opt_out_type or "").strip().upper())
    if word in OPT_OUT_WORDS:
        return OPT_OUT, word
    if word in OPT_IN_WORDS or (opted_out and word == "YES"):
        return OPT_IN, word
    if word in HELP_WORDS:
        return HELP, word
    return None


def option_words(options: Iterable[Option]) -> dict[str, int]:
    """Normalized option label, in every language -> score: {"several days": 1, "varios dias": 1}.

    Every language is accepted: labels never disagree on a score, and patients switch.
    """
    words = {normalize(label): o.score for o in options for label in o.label.values()}
    words.pop("", None)
    return words


def answers(text: str, remaining: int, words: Mapping[str, int]) -> tuple[int, ...] | None:
    """Read check-in answers from ``text``, or None when it is not a readable answer.

    Accepted: a single digit 0-3 with spaces or punctuation around it ("2", " 2. ", "(3)");
    exactly ``remaining`` digits 0-3 (spaces or punctuation allowed: "1 2 0 3", "1203") answering
    every item left at once; an option's words ("several days", "varios días"). A leading
    answer followed by other words ("2, I want to die") is read as that answer, so a risk phrase
    inside an otherwise valid answer does not lose the answer; any other digit in the message
    makes it unreadable rather than a guess.
    """
    norm = normalize(text)
    if not norm:
        return None
    if _DIGITS_ONLY.fullmatch(norm):
        digits = norm.replace(" ", "")
        if any(d not in "0123" for d in digits):
            return None
        if len(digits) == 1 or len(digits) == remaining:
            return tuple(int(d) for d in digits)
        return None
    has_other_digit = any(ch.isdigit() for ch in norm[1:])
    leading = _LEADING_DIGIT.match(norm)
    if leading and not has_other_digit:
        return (int(leading.group(1)),)
    if any(ch.isdigit() for ch in norm):
        return None
    for label in sorted(words, key=len, reverse=True):
        if norm == label or norm.startswith(label + " "):
            return (words[label],)
    return None


def contact_choice(text: str) -> str | None:
    """``"confirm"`` or ``"reschedule"`` for a whole-message reply to a contact date, else None."""
    norm = normalize(text)
    if norm in CONFIRM_WORDS:
        return "confirm"
    if norm in RESCHEDULE_WORDS:
        return "reschedule"
    return None
