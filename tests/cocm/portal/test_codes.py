"""Sign-in codes: texted, hashed, 10 minutes, single use, 5 tries, and the same answer for any
number."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from cocm import db
from cocm.models import AuditEvent, Message, OutboxItem, PortalSignInCode
from cocm.portal import codes
from tests.cocm.portal.helpers import PHONE, PHONE_TYPED, T0, UNKNOWN_PHONE, code_texts, last_code

ADDR = "203.0.113.7"


def _row(ticket: str) -> PortalSignInCode:
    return db.Session.scalar(select(PortalSignInCode).where(PortalSignInCode.ticket == ticket))


def test_a_known_number_gets_a_code_by_urgent_text_and_only_its_hash_is_kept(portal_world):
    result = codes.request_code(db.Session, PHONE_TYPED, ADDR, T0)

    texts = code_texts(portal_world.patient_id)
    assert len(texts) == 1
    code = last_code(portal_world.patient_id)
    assert re.fullmatch(r"\d{6}", code)
    assert "10 minutes" in texts[0].body
    assert texts[0].to_number == PHONE
    outbox = db.Session.get(OutboxItem, result.outbox_id)
    assert outbox.message_id == texts[0].id and outbox.not_before == T0
    assert result.outbox_id in db.Session.info["cocm_outbox_urgent"]
    row = _row(result.ticket)
    assert row.patient_id == portal_world.patient_id
    assert row.expires_at == T0 + timedelta(minutes=10)
    assert row.requested_from == ADDR and row.attempts == 0 and row.used_at is None
    assert code not in row.code_hash and code not in row.ticket


def test_the_code_text_is_in_the_patients_language(portal_world):
    portal_world.patient.language = "es"
    codes.request_code(db.Session, PHONE, ADDR, T0)
    assert code_texts(portal_world.patient_id)[-1].body.startswith("Su código")


@pytest.mark.parametrize("setup", ["unknown", "opted_out", "flagged"])
def test_a_number_that_cannot_get_a_code_looks_the_same_and_sends_nothing(portal_world, setup):
    phone = UNKNOWN_PHONE if setup == "unknown" else PHONE
    if setup == "opted_out":
        portal_world.patient.sms_opted_out = True
    if setup == "flagged":
        portal_world.patient.phone_problem = "21610 unsubscribed"
    before = db.Session.scalar(select(Message.id).order_by(Message.id.desc()).limit(1))

    result = codes.request_code(db.Session, phone, ADDR, T0)

    assert result.refusal is None and len(result.ticket) == 43
    assert result.outbox_id is None
    after = db.Session.scalar(select(Message.id).order_by(Message.id.desc()).limit(1))
    assert after == before
    row = _row(result.ticket)
    assert row.patient_id is None and row.expires_at == T0 + timedelta(minutes=10)


@pytest.mark.parametrize("typed", ["", "hello", "123", "+1 (202) 555-01xx"])
def test_something_that_is_not_a_phone_number_is_refused(portal_world, typed):
    with pytest.raises(codes.InvalidNumber):
        codes.request_code(db.Session, typed, ADDR, T0)


def test_the_right_code_signs_in_once(portal_world):
    ticket = codes.request_code(db.Session, PHONE, ADDR, T0).ticket
    code = last_code(portal_world.patient_id)

    ok = codes.verify_code(db.Session, ticket, f" {code[:3]}-{code[3:]} ", ADDR, T0)
    again = codes.verify_code(db.Session, ticket, code, ADDR, T0 + timedelta(seconds=5))

    assert ok.patient_id == portal_world.patient_id and ok.error is None
    assert _row(ticket).used_at == T0
    assert again.patient_id is None and again.error == codes.EXPIRED
    actions = db.Session.scalars(
        select(AuditEvent.action).where(AuditEvent.patient_id == portal_world.patient_id)
    ).all()
    assert "portal_code_requested" in actions and "portal_sign_in" in actions


def test_a_code_expires_after_ten_minutes(portal_world):
    ticket = codes.request_code(db.Session, PHONE, ADDR, T0).ticket
    code = last_code(portal_world.patient_id)
    late = codes.verify_code(db.Session, ticket, code, ADDR, T0 + timedelta(minutes=10))
    assert late.error == codes.EXPIRED and late.patient_id is None


def test_five_tries_then_the_code_is_dead(portal_world):
    ticket = codes.request_code(db.Session, PHONE, ADDR, T0).ticket
    code = last_code(portal_world.patient_id)
    wrong = "000000" if code != "000000" else "111111"
    lefts = [codes.verify_code(db.Session, ticket, wrong, ADDR, T0).tries_left for _ in range(4)]
    assert lefts == [4, 3, 2, 1]
    assert codes.verify_code(db.Session, ticket, code, ADDR, T0).patient_id is not None

    ticket = codes.request_code(db.Session, PHONE, ADDR, T0).ticket
    code = last_code(portal_world.patient_id)
    results = [codes.verify_code(db.Session, ticket, wrong, ADDR, T0) for _ in range(5)]
    assert [r.error for r in results] == [codes.WRONG] * 4 + [codes.NO_TRIES_LEFT]
    final = codes.verify_code(db.Session, ticket, code, ADDR, T0)
    assert final.error == codes.NO_TRIES_LEFT and final.patient_id is None
    assert _row(ticket).attempts == 5


def test_an_unknown_number_answers_wrong_codes_exactly_like_a_known_one(portal_world):
    known = codes.request_code(db.Session, PHONE, ADDR, T0).ticket
    unknown = codes.request_code(db.Session, UNKNOWN_PHONE, ADDR, T0).ticket
    for _ in range(6):
        a = codes.verify_code(db.Session, known, "999999", ADDR, T0)
        b = codes.verify_code(db.Session, unknown, "999999", ADDR, T0)
        assert (a.error, a.tries_left) == (b.error, b.tries_left)


def test_an_entry_that_is_not_six_digits_costs_no_try(portal_world):
    ticket = codes.request_code(db.Session, PHONE, ADDR, T0).ticket
    result = codes.verify_code(db.Session, ticket, "12 34", ADDR, T0)
    assert result.error == codes.MALFORMED
    assert _row(ticket).attempts == 0


def test_a_new_code_retires_the_earlier_one(portal_world):
    first = codes.request_code(db.Session, PHONE, ADDR, T0).ticket
    old_code = last_code(portal_world.patient_id)
    second = codes.request_code(db.Session, PHONE, ADDR, T0 + timedelta(minutes=1)).ticket
    new_code = last_code(portal_world.patient_id)
    later = T0 + timedelta(minutes=2)
    assert codes.verify_code(db.Session, first, old_code, ADDR, later).error == codes.EXPIRED
    assert codes.verify_code(db.Session, second, new_code, ADDR, later).patient_id is not None


def test_an_unknown_ticket_is_expired(portal_world):
    assert codes.verify_code(db.Session, "no-such", "123456", ADDR, T0).error == codes.EXPIRED
    assert codes.verify_code(db.Session, None, "123456", ADDR, T0).error == codes.EXPIRED


def test_shared_number_prefers_the_textable_patient_with_an_open_episode(portal_world):
    from tests.factories import PatientFactory

    PatientFactory(clinic=portal_world.clinic, phone_e164=PHONE, sms_opted_out=True)
    db.Session.flush()
    assert codes.patient_for_number(db.Session, PHONE).id == portal_world.patient_id


def test_prune_removes_old_codes(portal_world):
    ticket = codes.request_code(db.Session, PHONE, ADDR, T0).ticket
    assert codes.prune(db.Session, T0 + timedelta(hours=2)) == 0
    with freeze_time(T0 + timedelta(days=2)):
        removed = codes.prune(db.Session, T0 + timedelta(days=2))
    assert removed >= 1
    db.Session.expire_all()
    assert _row(ticket) is None
