"""Conversations over time through the webhook: contact confirmations, expiry, supersede."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from cocm import db
from cocm.checkins import expire_conversation, start_contact_confirmation
from cocm.models import Assessment, Contact, Conversation
from tests.patient_app.twilio.helpers import T0, messages, queue_items, start


def _contact(world) -> int:
    contact = Contact(
        patient_id=world.patient_id,
        episode_id=world.episode_id,
        staff_id=world.manager_id,
        kind="phone",
        outcome="reached",
        occurred_at=T0 - timedelta(days=1),
        minutes=20,
        next_contact_at=T0 + timedelta(days=7, hours=3, minutes=30),  # 14:30 EDT (after DST)
    )
    db.Session.add(contact)
    db.Session.flush()
    conversation = start_contact_confirmation(db.Session(), contact, T0)
    assert "Reply C to confirm or R to reschedule." in messages(world.patient_id)[-1].body
    contact_id, conversation_id = contact.id, conversation.id
    db.Session.commit()
    return contact_id, conversation_id


@freeze_time(T0)
@pytest.mark.parametrize("answer", ["C", "yes", " ok! ", "Confirm"])
def test_contact_confirmed(world, phone, answer):
    contact_id, conversation_id = _contact(world)
    [reply] = phone.text(answer)
    assert reply == (
        "Thank you, it is confirmed. Your care manager will contact you "
        "on Tuesday, March 10 around 2:30 PM."
    )
    contact = db.Session.get(Contact, contact_id, populate_existing=True)
    assert contact.next_contact_confirmed_at == T0 and contact.reschedule_requested_at is None
    conversation = db.Session.get(Conversation, conversation_id, populate_existing=True)
    assert (conversation.status, conversation.closed_reason) == ("closed", "confirmed")
    assert queue_items(world.patient_id) == []


@freeze_time(T0)
@pytest.mark.parametrize("answer", ["R", "no", "Reschedule"])
def test_contact_reschedule_requested(world, phone, answer):
    contact_id, _ = _contact(world)
    [reply] = phone.text(answer)
    assert "find a better time" in reply
    contact = db.Session.get(Contact, contact_id, populate_existing=True)
    assert contact.reschedule_requested_at == T0 and contact.next_contact_confirmed_at is None
    [item] = queue_items(world.patient_id, "reschedule")
    assert item.priority == "normal" and "Tuesday, March 10" in item.reason


@freeze_time(T0)
def test_unclear_contact_answer_is_reasked(world, phone):
    _contact(world)
    assert phone.text("maybe later")[0].startswith("Sorry, we did not understand. Reply C")


def test_expiry_keeps_a_partial_assessment(world, phone):
    with freeze_time(T0):
        conversation_id = start(world)
        phone.text("2")
        phone.text("1")
    later = T0 + timedelta(hours=1, minutes=1)
    with freeze_time(later):
        phone.text("3")  # the last reply at T0+1h sets the clock
    assert expire_conversation(db.Session(), conversation_id, later + timedelta(hours=23)) is False
    expired_at = later + timedelta(hours=24)
    assert expire_conversation(db.Session(), conversation_id, expired_at) is True
    db.Session.commit()
    conversation = db.Session.get(Conversation, conversation_id, populate_existing=True)
    assert conversation.status == "expired" and conversation.closed_at == expired_at
    assessment = db.Session.get(Assessment, conversation.assessment_id, populate_existing=True)
    assert assessment.status == "partial" and assessment.total is None
    assert assessment.answer_list(9)[:4] == [2, 1, 3, None]
    assert expire_conversation(db.Session(), conversation_id, expired_at) is False
    with freeze_time(expired_at):
        assert "care team will see your message" in phone.text("1")[0]


@freeze_time(T0)
def test_a_new_checkin_supersedes_the_open_one(world, phone):
    first = start(world, "PHQ-9")
    phone.text("2")
    second = start(world, "GAD-7")
    old = db.Session.get(Conversation, first, populate_existing=True)
    assert old.status == "superseded" and old.closed_reason == "superseded"
    old_assessment = db.Session.get(Assessment, old.assessment_id, populate_existing=True)
    assert old_assessment.status == "superseded" and old_assessment.answer_list(9)[0] == 2
    assert phone.text("1")[0].startswith("(2/7)")
    new = db.Session.get(Conversation, second)
    assert new.instrument == "GAD-7" and new.status == "open"
    answers = db.Session.scalars(select(Assessment).where(Assessment.id == new.assessment_id))
    assert answers.one().answer_list(7)[0] == 1
