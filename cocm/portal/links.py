"""One-time links: a check-in text can carry a signed link that opens that one questionnaire.

Only when the clinic turns it on (``Clinic.portal_links_enabled``). The token is the
conversation id and a truncated HMAC under SECRET_KEY: no PHI, and short enough to leave room
in the text. A link is good while its conversation is open (it expires with it, and never lives
past ``MAX_AGE``), and only once (``Conversation.link_used_at``). What it opens is the
questionnaire alone: the views give a link visitor nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm import texts
from cocm.audit import record
from cocm.config import get_settings
from cocm.models import Clinic, Conversation, Patient
from cocm.portal import limits
from cocm.portal.limits import ADDRESS, LINK_CHECK, Refusal

PATH = "/q/"
MAX_AGE = timedelta(days=3)
# 72 bits of MAC: far beyond online guessing, which the address limit slows further.
MAC_CHARS = 12
SEGMENT_BUDGET = texts.SEGMENT_BUDGET  # English 2 GSM-7 segments, Spanish 3
# A link costs the opening text one segment more, never more: a URL of ~45 characters does not
# fit beside the greeting, stem, first item and answer legend in two GSM-7 segments (English,
# with a first name) or three UCS-2 segments (Spanish). The clinic that turns links on accepts
# it, and the link can spare the patient the eight texts that follow.
LINK_ALLOWANCE = 1
_TOKEN = re.compile(rf"[0-9a-z]{{1,13}}\.[A-Za-z0-9_-]{{{MAC_CHARS}}}")

# Why a link was refused.
INVALID = "invalid"
USED = "used"
EXPIRED = "expired"
LIMITED = "limited"


@dataclass(frozen=True)
class Redemption:
    """A link opened: the conversation and its patient, or why not."""

    conversation_id: int | None = None
    patient_id: int | None = None
    assessment_id: int | None = None
    error: str | None = None
    refusal: Refusal | None = None


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def _mac(ident: str, secret: str | None) -> str:
    secret = secret if secret is not None else get_settings().secret_key
    key = hmac.new(secret.encode(), b"cocm.portal.link", hashlib.sha256).digest()
    digest = hmac.new(key, ident.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:MAC_CHARS]


def make_token(conversation_id: int, secret: str | None = None) -> str:
    """The signed token for a conversation: "<id in base 36>.<MAC>"."""
    ident = _b36(conversation_id)
    return f"{ident}.{_mac(ident, secret)}"


def read_token(token: str | None, secret: str | None = None) -> int | None:
    """The conversation id a token was made for, or None when it is not one of ours."""
    if not token or not _TOKEN.fullmatch(token):
        return None
    ident, mac = token.split(".")
    if not hmac.compare_digest(mac.encode(), _mac(ident, secret).encode()):
        return None
    return int(ident, 36)


def make_link(conversation: Conversation, base_url: str | None = None) -> str | None:
    """The one-time link for an open check-in, or None when the clinic does not allow links."""
    if conversation.kind != "checkin" or conversation.status != "open":
        return None
    if not conversation.patient.clinic.portal_links_enabled:
        return None
    base = base_url if base_url is not None else get_settings().public_base_url
    return f"{base}{PATH}{make_token(conversation.id)}"


def link_budget(lang: str) -> int:
    """How many segments an opening text that carries a link may use."""
    return SEGMENT_BUDGET[lang] + LINK_ALLOWANCE


def opening_text(patient: Patient, conversation: Conversation, default: str) -> str:
    """The check-in's opening text with the link added, if links are on and it fits the segment
    budget plus ``LINK_ALLOWANCE`` (and English stays GSM-7); otherwise ``default``, the text
    without it (a very long first name or public address)."""
    link = make_link(conversation)
    if link is None or conversation.instrument is None:
        return default
    lang = texts.language(patient.language)
    first_name = patient.first_name if patient.clinic.use_first_names else None
    body = texts.checkin_open(lang, first_name, conversation.instrument, link=link)
    return body if texts.within_budget(body, lang, LINK_ALLOWANCE) else default


def redeem(session: Session, token: str, remote_addr: str | None, now: datetime) -> Redemption:
    """Open a link: valid, for an open check-in of a clinic with links on, never used before.

    Marks the conversation's link used. Each refusal counts against the address's limit.
    """
    address = {ADDRESS: remote_addr}
    refusal = limits.check(session, LINK_CHECK, address, now)
    if refusal is not None:
        return Redemption(error=LIMITED, refusal=refusal)
    conversation_id = read_token(token)
    conversation = None
    if conversation_id is not None:
        conversation = session.scalar(
            select(Conversation).where(Conversation.id == conversation_id).with_for_update()
        )
    if conversation is None:
        return _refuse(session, INVALID, remote_addr, now)
    patient = session.get(Patient, conversation.patient_id)
    clinic = session.get(Clinic, patient.clinic_id)
    if (
        not clinic.portal_links_enabled
        or conversation.kind != "checkin"
        or conversation.status != "open"
        or conversation.assessment_id is None
        or now - conversation.opened_at > MAX_AGE
    ):
        return _refuse(session, EXPIRED, remote_addr, now, patient)
    if conversation.link_used_at is not None:
        return _refuse(session, USED, remote_addr, now, patient)
    conversation.link_used_at = now
    record(
        session,
        "portal_link_opened",
        patient_id=patient.id,
        clinic_id=patient.clinic_id,
        object_type="conversation",
        object_id=conversation.id,
        remote_addr=remote_addr,
    )
    session.flush()
    return Redemption(conversation.id, patient.id, conversation.assessment_id)


def _refuse(
    session: Session,
    error: str,
    remote_addr: str | None,
    now: datetime,
    patient: Patient | None = None,
) -> Redemption:
    limits.record(session, LINK_CHECK, {ADDRESS: remote_addr}, now)
    record(
        session,
        "portal_link_refused",
        patient_id=patient.id if patient is not None else None,
        clinic_id=patient.clinic_id if patient is not None else None,
        remote_addr=remote_addr,
        detail={"reason": error},
    )
    session.flush()
    return Redemption(error=error)
