"""One-time links: signed, no PHI, only while the check-in is open, only once, only if the
clinic allows them, and added to the opening text only within its segment budget."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from cocm import db, texts
from cocm.checkins import start_checkin
from cocm.checkins.records import close_conversation
from cocm.models import Message
from cocm.portal import links
from tests.cocm.portal.helpers import T0, build

ADDR = "203.0.113.9"
BASE = "https://cocm.example.org"  # PUBLIC_BASE_URL in tests/conftest.py


@pytest.fixture
def linked(session):
    world = build(links=True, first_names=False)
    session.commit()
    return world


def _start(world, instrument="PHQ-9", now=T0):
    conversation = start_checkin(db.Session, world.patient, instrument, now)
    return conversation


def _opening(conversation_id: int) -> str:
    return db.Session.scalar(
        select(Message.body).where(
            Message.conversation_id == conversation_id, Message.kind == "checkin_open"
        )
    )


def test_a_token_is_the_conversation_id_and_a_mac_and_nothing_else():
    token = links.make_token(123456, secret="s" * 32)
    assert re.fullmatch(r"2n9c\.[A-Za-z0-9_-]{12}", token)
    assert links.read_token(token, secret="s" * 32) == 123456
    assert links.read_token(token, secret="t" * 32) is None
    ident, mac = token.split(".")
    tampered = f"{ident}.{mac[:-1]}{'A' if mac[-1] != 'A' else 'B'}"
    assert links.read_token(tampered, secret="s" * 32) is None
    other = links.make_token(123457, secret="s" * 32)
    assert links.read_token(f"2n9c.{other.split('.')[1]}", secret="s" * 32) is None
    for junk in ("", "abc", "2n9c", "2N9C." + mac, "2n9c." + mac + "x", "../etc", None):
        assert links.read_token(junk, secret="s" * 32) is None


def test_the_check_in_text_carries_the_link_when_it_fits(linked):
    conversation = _start(linked)
    body = _opening(conversation.id)
    link = links.make_link(conversation)
    assert link == f"{BASE}/q/{links.make_token(conversation.id)}"
    assert body.endswith(f"Or answer online: {link}")
    assert texts.segments(body) <= links.link_budget("en") and texts.encoding(body) == "GSM-7"
    # The token names the conversation and nothing else: no name, number, MRN or patient id.
    ident = link.split("/q/")[1].split(".")[0]
    assert int(ident, 36) == conversation.id


def test_no_link_when_the_clinic_has_not_turned_links_on(portal_world):
    conversation = _start(portal_world)
    assert links.make_link(conversation) is None
    assert "/q/" not in _opening(conversation.id)


@pytest.mark.parametrize("lang", texts.LANGUAGES)
def test_with_first_names_on_the_link_costs_one_segment_more(session, lang):
    world = build(links=True, first_names=True, language=lang)
    conversation = _start(world)
    body = _opening(conversation.id)
    without = texts.checkin_open(lang, "Dana", "PHQ-9")
    assert body.endswith(links.make_link(conversation))
    assert body.startswith(without.rstrip())
    assert texts.segments(body) <= links.SEGMENT_BUDGET[lang] + 1 == links.link_budget(lang)
    assert texts.segments(without) <= links.SEGMENT_BUDGET[lang]


def test_a_long_name_gives_way_to_the_link(session):
    name = "María de los Ángeles Guadalupe"  # the whole name and the link do not fit
    world = build(links=True, first_names=True, language="es")
    world.patient.first_name = name
    db.Session.flush()
    conversation = _start(world)
    body = _opening(conversation.id)
    assert body.startswith("Hola María.") and body.endswith(links.make_link(conversation))
    assert texts.segments(body) <= links.link_budget("es")


def test_no_link_when_it_would_break_the_segment_budget(session, settings, monkeypatch):
    world = build(links=True, first_names=True)
    conversation = _start(world)
    far = dataclasses.replace(settings, public_base_url="https://" + "care." * 40 + "example.org")
    monkeypatch.setattr(links, "get_settings", lambda: far)
    link = links.make_link(conversation)
    assert texts.segments(texts.checkin_open("en", None, "PHQ-9", link=link)) > 3
    default = texts.checkin_open("en", "Dana", "PHQ-9")
    assert links.opening_text(world.patient, conversation, default) == default


@pytest.mark.parametrize("lang", texts.LANGUAGES)
@pytest.mark.parametrize("instrument", ["PHQ-9", "GAD-7", "PHQ-2", "GAD-2"])
def test_an_opening_text_never_exceeds_its_budget(session, lang, instrument):
    world = build(links=True, first_names=False, language=lang)
    body = _opening(_start(world, instrument).id)
    assert "/q/" in body
    assert texts.segments(body) <= links.link_budget(lang)


def test_a_link_opens_once(linked):
    conversation = _start(linked)
    token = links.make_token(conversation.id)
    first = links.redeem(db.Session, token, ADDR, T0 + timedelta(minutes=5))
    second = links.redeem(db.Session, token, ADDR, T0 + timedelta(minutes=6))
    assert first.error is None
    assert (first.conversation_id, first.patient_id) == (conversation.id, linked.patient_id)
    assert first.assessment_id == conversation.assessment_id
    assert conversation.link_used_at == T0 + timedelta(minutes=5)
    assert second.error == links.USED and second.patient_id is None


@pytest.mark.parametrize("reason", ["completed", "expired", "superseded", "opted_out"])
def test_a_link_expires_with_its_conversation(linked, reason):
    conversation = _start(linked)
    close_conversation(db.Session, conversation, reason, T0 + timedelta(hours=1))
    result = links.redeem(db.Session, links.make_token(conversation.id), ADDR, T0)
    assert result.error == links.EXPIRED
    assert conversation.link_used_at is None


def test_a_link_dies_when_the_clinic_turns_links_off(linked):
    conversation = _start(linked)
    linked.clinic.portal_links_enabled = False
    result = links.redeem(db.Session, links.make_token(conversation.id), ADDR, T0)
    assert result.error == links.EXPIRED


def test_a_link_never_outlives_max_age(linked):
    conversation = _start(linked)
    late = T0 + links.MAX_AGE + timedelta(minutes=1)
    assert links.redeem(db.Session, links.make_token(conversation.id), ADDR, late).error == (
        links.EXPIRED
    )


def test_a_link_for_a_contact_confirmation_is_refused(linked):
    from cocm.checkins import start_contact_confirmation

    conversation = start_contact_confirmation(db.Session, linked.contact, T0)
    assert links.make_link(conversation) is None
    result = links.redeem(db.Session, links.make_token(conversation.id), ADDR, T0)
    assert result.error == links.EXPIRED


def test_a_token_for_a_missing_conversation_is_invalid(linked):
    assert links.redeem(db.Session, links.make_token(987654), ADDR, T0).error == links.INVALID
