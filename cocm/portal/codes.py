"""Password-less sign-in: a 6-digit code texted to the patient's own number.

A code lives 10 minutes, is redeemed once and allows 5 tries; requests are rate-limited per
number and per address (``cocm.portal.limits``). Whatever number is entered, the answer and the
work done are the same: a number no textable patient has gets a code row that can never be
redeemed, so the browser receives the same kind of ticket and the same replies afterwards (the
patient app sends the text only after its answer has left, so timing does not tell either). Only
a keyed hash of each code is stored. The text goes through the outbox as an urgent message,
sent straight after the commit without waiting on a worker.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, delete, select, update
from sqlalchemy.orm import Session

from cocm import texts
from cocm.audit import record
from cocm.inbound.routing import normalize_phone
from cocm.messaging.outbox import queue_message
from cocm.models import Conversation, Episode, OutboxItem, Patient, PortalSignInCode
from cocm.models.enums import OPEN_EPISODE_STATUSES
from cocm.portal import limits
from cocm.portal.hashing import keyed_hash, same
from cocm.portal.limits import ADDRESS, CODE_CHECK, CODE_REQUEST, NUMBER, Refusal

CODE_MINUTES = 10
CODE_LIFETIME = timedelta(minutes=CODE_MINUTES)
MAX_TRIES = 5
_DIGITS = re.compile(r"\D")

# Why a code was not accepted (the views turn these into words in the patient's language).
WRONG = "wrong"
NO_TRIES_LEFT = "no_tries_left"
EXPIRED = "expired"
MALFORMED = "malformed"
LIMITED = "limited"


class InvalidNumber(ValueError):
    """What was entered cannot be a phone number."""


@dataclass(frozen=True)
class CodeRequest:
    """The result of asking for a code.

    ``ticket`` is the browser's handle for the next step (None when refused by a limit).
    ``outbox_id`` is the code text's outbox row, or None when nothing was sent; it is for the
    edge to schedule delivery and must never change what the answer says.
    """

    ticket: str | None
    refusal: Refusal | None = None
    outbox_id: int | None = None


@dataclass(frozen=True)
class Verification:
    """``patient_id`` when signed in; otherwise ``error`` (one of the constants above)."""

    patient_id: int | None = None
    error: str | None = None
    tries_left: int = 0
    refusal: Refusal | None = None


def _code_hash(ticket: str, code: str) -> str:
    return keyed_hash("code", f"{ticket}:{code}")


def textable(patient: Patient) -> bool:
    """Whether a code can reach this patient by text."""
    return bool(patient.phone_e164) and not patient.sms_opted_out and not patient.phone_problem


def patient_for_number(session: Session, phone: str) -> Patient | None:
    """The patient who signs in with ``phone`` (E.164), in any clinic, or None.

    Family members may share a number: a textable patient wins, then one with an open check-in,
    then the most recent open episode, then the newest record (as inbound texts are routed).
    """
    rows = session.execute(
        select(Patient, Episode.started_on, Conversation.id)
        .outerjoin(
            Episode,
            and_(Episode.patient_id == Patient.id, Episode.status.in_(OPEN_EPISODE_STATUSES)),
        )
        .outerjoin(
            Conversation,
            and_(Conversation.patient_id == Patient.id, Conversation.status == "open"),
        )
        .where(Patient.phone_e164 == phone)
    ).all()
    if not rows:
        return None

    def rank(row) -> tuple:
        patient, started_on, conversation_id = row
        return (
            textable(patient),
            conversation_id is not None,
            started_on or date.min,
            patient.created_at,
            patient.id,
        )

    return max(rows, key=rank)[0]


def request_code(
    session: Session, phone_text: str, remote_addr: str | None, now: datetime
) -> CodeRequest:
    """Ask for a sign-in code for the number typed in ``phone_text``.

    Raises InvalidNumber when the text cannot be a phone number. Returns a refusal when a rate
    limit is full (per number or per address); otherwise a ticket, whether or not the number
    belongs to a patient who can be texted.
    """
    phone = normalize_phone((phone_text or "")[:40])
    if phone is None:
        raise InvalidNumber(phone_text)
    keys = {NUMBER: phone, ADDRESS: remote_addr}
    refusal = limits.check(session, CODE_REQUEST, keys, now)
    if refusal is not None:
        return CodeRequest(None, refusal)
    limits.record(session, CODE_REQUEST, keys, now)

    patient = patient_for_number(session, phone)
    if patient is not None and not textable(patient):
        patient = None
    code = f"{secrets.randbelow(10**6):06d}"
    ticket = secrets.token_urlsafe(32)
    if patient is not None:
        # A new code retires the patient's earlier ones: only the latest text is the key.
        session.execute(
            update(PortalSignInCode)
            .where(
                PortalSignInCode.patient_id == patient.id,
                PortalSignInCode.used_at.is_(None),
                PortalSignInCode.expires_at > now,
            )
            .values(expires_at=now)
            .execution_options(synchronize_session=False)
        )
    session.add(
        PortalSignInCode(
            ticket=ticket,
            patient_id=patient.id if patient is not None else None,
            code_hash=_code_hash(ticket, code),
            created_at=now,
            expires_at=now + CODE_LIFETIME,
            attempts=0,
            requested_from=(remote_addr or "")[:64] or None,
        )
    )
    outbox_id = None
    if patient is not None:
        message = queue_message(
            session,
            clinic=patient.clinic,
            patient=patient,
            kind="portal_code",
            body=texts.portal_code(patient.language, code, CODE_MINUTES),
            now=now,
            urgent=True,
        )
        outbox_id = session.scalar(select(OutboxItem.id).where(OutboxItem.message_id == message.id))
    record(
        session,
        "portal_code_requested",
        patient_id=patient.id if patient is not None else None,
        clinic_id=patient.clinic_id if patient is not None else None,
        remote_addr=remote_addr,
        detail={"sent": patient is not None},
    )
    session.flush()
    return CodeRequest(ticket, None, outbox_id)


def verify_code(
    session: Session, ticket: str | None, code_text: str, remote_addr: str | None, now: datetime
) -> Verification:
    """Check the code typed for ``ticket``; on success the code is used up.

    A wrong code costs one of the code's 5 tries and counts against the address's limit; an
    entry that is not 6 digits costs nothing. Returns the patient's id on success.
    """
    address = {ADDRESS: remote_addr}
    refusal = limits.check(session, CODE_CHECK, address, now)
    if refusal is not None:
        return Verification(error=LIMITED, refusal=refusal)
    code = _DIGITS.sub("", code_text or "")[:12]
    if len(code) != 6:
        return Verification(error=MALFORMED, tries_left=MAX_TRIES)
    row = None
    if ticket:
        row = session.scalar(
            select(PortalSignInCode).where(PortalSignInCode.ticket == ticket[:43]).with_for_update()
        )
    if row is None or row.used_at is not None or row.expires_at <= now:
        return Verification(error=EXPIRED)
    if row.attempts >= MAX_TRIES:
        return Verification(error=NO_TRIES_LEFT)
    if row.patient_id is None or not same(row.code_hash, _code_hash(row.ticket, code)):
        row.attempts += 1
        limits.record(session, CODE_CHECK, address, now)
        record(session, "portal_sign_in_failed", patient_id=row.patient_id, remote_addr=remote_addr)
        session.flush()
        left = MAX_TRIES - row.attempts
        return Verification(error=WRONG if left else NO_TRIES_LEFT, tries_left=left)
    row.used_at = now
    patient = session.get(Patient, row.patient_id)
    record(
        session,
        "portal_sign_in",
        patient_id=patient.id,
        clinic_id=patient.clinic_id,
        remote_addr=remote_addr,
    )
    session.flush()
    return Verification(patient_id=patient.id)


def prune(session: Session, now: datetime) -> int:
    """Delete code rows a day past expiry and attempts too old to count; returns rows removed."""
    result = session.execute(
        delete(PortalSignInCode)
        .where(PortalSignInCode.expires_at <= now - timedelta(days=1))
        .execution_options(synchronize_session=False)
    )
    return (result.rowcount or 0) + limits.prune(session, now)
