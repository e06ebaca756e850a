"""Rate limits on sign-in and links: per normalized number and per address, in the database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from cocm import db
from cocm.models import PortalAttempt
from cocm.portal import codes, limits, links
from tests.cocm.portal.helpers import PHONE, PHONE_TYPED, T0, UNKNOWN_PHONE, last_code

ADDR = "198.51.100.4"


def _numbers(n: int) -> list[str]:
    return [f"+1202555{1000 + i:04d}" for i in range(n)]


def test_three_codes_per_number_in_fifteen_minutes_however_it_is_typed(portal_world):
    typed = (PHONE, PHONE_TYPED, "202.555.0142")
    for index, form in enumerate(typed):
        result = codes.request_code(db.Session, form, f"192.0.2.{index}", T0)
        assert result.refusal is None
    refused = codes.request_code(db.Session, "2025550142", "192.0.2.9", T0 + timedelta(minutes=5))
    assert refused.ticket is None
    assert refused.refusal.limit.scope == limits.NUMBER
    assert refused.refusal.wait_minutes == 10
    assert refused.outbox_id is None
    allowed = codes.request_code(db.Session, PHONE, ADDR, T0 + timedelta(minutes=15, seconds=1))
    assert allowed.refusal is None


def test_an_unknown_number_is_limited_the_same_way(portal_world):
    for _ in range(3):
        assert codes.request_code(db.Session, UNKNOWN_PHONE, ADDR, T0).refusal is None
    refused = codes.request_code(db.Session, UNKNOWN_PHONE, ADDR, T0)
    assert refused.refusal.limit.scope == limits.NUMBER


def test_ten_codes_per_number_a_day(portal_world):
    for hour in range(10):
        moment = T0 + timedelta(hours=hour)
        assert codes.request_code(db.Session, PHONE, ADDR, moment).refusal is None
    refused = codes.request_code(db.Session, PHONE, ADDR, T0 + timedelta(hours=11))
    assert refused.refusal.limit.per == timedelta(hours=24)
    later = T0 + timedelta(hours=24, minutes=1)
    assert codes.request_code(db.Session, PHONE, ADDR, later).refusal is None


def test_twenty_requests_per_address_in_fifteen_minutes_across_numbers(portal_world):
    for number in _numbers(20):
        assert codes.request_code(db.Session, number, ADDR, T0).refusal is None
    refused = codes.request_code(db.Session, PHONE, ADDR, T0)
    assert refused.refusal.limit.scope == limits.ADDRESS
    assert codes.request_code(db.Session, PHONE, "198.51.100.5", T0).refusal is None


def test_wrong_codes_are_limited_per_address_even_across_tickets(portal_world):
    tickets = [
        codes.request_code(db.Session, number, f"192.0.2.{i}", T0).ticket
        for i, number in enumerate(_numbers(4))
    ]
    for attempt in range(15):
        ticket = tickets[attempt % 4]
        assert codes.verify_code(db.Session, ticket, "999999", ADDR, T0).error in (
            codes.WRONG,
            codes.NO_TRIES_LEFT,
        )
    good = codes.request_code(db.Session, PHONE, "192.0.2.50", T0).ticket
    code = last_code(portal_world.patient_id)
    refused = codes.verify_code(db.Session, good, code, ADDR, T0 + timedelta(minutes=1))
    assert refused.error == codes.LIMITED and refused.patient_id is None
    assert refused.refusal.wait_minutes == 14
    # From another address, the right code still works.
    assert codes.verify_code(db.Session, good, code, "192.0.2.60", T0).patient_id is not None


def test_bad_links_are_limited_per_address(portal_world):
    for _ in range(20):
        assert links.redeem(db.Session, "zz.notavalidmac", ADDR, T0).error == links.INVALID
    assert links.redeem(db.Session, "zz.notavalidmac", ADDR, T0).error == links.LIMITED


def test_keys_are_stored_hashed_and_old_attempts_are_pruned(portal_world):
    codes.request_code(db.Session, PHONE, ADDR, T0)
    keys = db.Session.scalars(select(PortalAttempt.key_hash)).all()
    assert keys and all(len(key) == 64 for key in keys)
    assert not any(PHONE[2:] in key or ADDR in key for key in keys)
    assert limits.prune(db.Session, T0 + timedelta(hours=23)) == 0
    assert limits.prune(db.Session, T0 + timedelta(hours=24)) == 2
    assert db.Session.scalar(select(func.count(PortalAttempt.id))) == 0
