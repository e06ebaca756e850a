"""remind_conversation and expire_conversation: idempotent, re-checking, inside the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from cocm.checkins import expire_conversation, from_json, remind_conversation, start_checkin
from cocm.models import Assessment, Message, OutboxItem
from tests.patient_app.twilio.helpers import T0


def test_one_reminder_after_four_quiet_hours(world, session):
    conversation = start_checkin(session, world.patient, "PHQ-9", T0)
    assert remind_conversation(session, conversation.id, T0 + timedelta(hours=3)) is None
    at = T0 + timedelta(hours=4)
    message = remind_conversation(session, conversation.id, at)
    assert message.kind == "reminder" and "still open" in message.body
    assert "(1/9)" in message.body and message.conversation_id == conversation.id
    item = session.scalar(select(OutboxItem).where(OutboxItem.message_id == message.id))
    assert item.not_before == at and item.dedupe_key == f"reminder:conversation:{conversation.id}"
    state = from_json(conversation.state)
    assert state.reminded and state.last_outbound_at == at
    assert conversation.reminded_at == at and conversation.last_outbound_at == at
    assert remind_conversation(session, conversation.id, at + timedelta(hours=5)) is None
    reminders = session.scalars(select(Message).where(Message.kind == "reminder")).all()
    assert len(reminders) == 1


def test_a_reminder_due_at_night_waits_for_the_morning(world, session):
    start = datetime(2026, 3, 3, 23, 0, tzinfo=UTC)  # 18:00 in New York
    conversation = start_checkin(session, world.patient, "PHQ-9", start)
    due = start + timedelta(hours=4)  # 22:00 in New York
    message = remind_conversation(session, conversation.id, due)
    morning = datetime(2026, 3, 4, 13, 0, tzinfo=UTC)
    item = session.scalar(select(OutboxItem).where(OutboxItem.message_id == message.id))
    assert item.not_before == morning and conversation.last_outbound_at == morning
    # Expiry counts from when the reminder went out.
    assert expire_conversation(session, conversation.id, start + timedelta(hours=25)) is False
    assert expire_conversation(session, conversation.id, morning + timedelta(hours=24)) is True


def test_no_reminder_for_a_patient_who_opted_out_or_a_closed_conversation(world, session):
    conversation = start_checkin(session, world.patient, "PHQ-9", T0)
    world.patient.sms_opted_out = True
    assert remind_conversation(session, conversation.id, T0 + timedelta(hours=4)) is None
    world.patient.sms_opted_out = False
    assert expire_conversation(session, conversation.id, T0 + timedelta(hours=24)) is True
    assert remind_conversation(session, conversation.id, T0 + timedelta(hours=30)) is None
    assert remind_conversation(session, 987654, T0) is None
    assert expire_conversation(session, 987654, T0) is False


def test_expiry_without_answers_is_partial_and_sends_nothing(world, session):
    conversation = start_checkin(session, world.patient, "GAD-7", T0)
    before = session.scalar(select(Message.id).order_by(Message.id.desc()))
    assert expire_conversation(session, conversation.id, T0 + timedelta(hours=24)) is True
    assert conversation.status == "expired" and conversation.closed_reason == "expired"
    assessment = session.get(Assessment, conversation.assessment_id)
    assert assessment.status == "partial" and assessment.answers == []
    assert session.scalar(select(Message.id).order_by(Message.id.desc())) == before
