"""start_checkin and friends: the assessment, the conversation, the opening text in the window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from cocm import conversation as engine
from cocm import db
from cocm.checkins import (
    NotTextable,
    from_json,
    send_welcome,
    start_checkin,
    start_contact_confirmation,
    to_json,
)
from cocm.checkins.when import contact_when_text
from cocm.messaging.keys import PENDING_KEY
from cocm.models import Assessment, Contact, Conversation, MeasurementSchedule, Message, OutboxItem
from tests.patient_app.twilio.helpers import NIGHT, T0


def _outbox(conversation_id: int) -> list[tuple[Message, OutboxItem]]:
    return list(
        db.Session.execute(
            select(Message, OutboxItem)
            .join(OutboxItem, OutboxItem.message_id == Message.id)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.id)
        )
    )


def test_start_checkin_inside_the_window(world, session):
    conversation = start_checkin(session, world.patient, "PHQ-9", T0)
    assert conversation.status == "open" and conversation.kind == "checkin"
    assert conversation.instrument == "PHQ-9" and conversation.opened_at == T0
    assert conversation.last_outbound_at == T0
    state = from_json(conversation.state)
    assert state.answers == (None,) * 9 and state.last_outbound_at == T0
    assessment = session.get(Assessment, conversation.assessment_id)
    assert (assessment.status, assessment.channel, assessment.instrument) == (
        "in_progress",
        "sms",
        "PHQ-9",
    )
    assert assessment.episode_id == world.episode_id and assessment.started_at == T0
    [(message, item)] = _outbox(conversation.id)
    assert message.kind == "checkin_open" and message.status == "queued"
    assert message.body.startswith("Hi Dana, a quick check-in from your care team.")
    assert "(1/9) Little interest or pleasure in doing things" in message.body
    assert item.not_before == T0
    assert item.dedupe_key == f"checkin_open:conversation:{conversation.id}"
    assert item.id in session.info[PENDING_KEY]
    schedule = session.scalar(
        select(MeasurementSchedule).where(
            MeasurementSchedule.episode_id == world.episode_id,
            MeasurementSchedule.instrument == "PHQ-9",
        )
    )
    assert schedule.last_sent_at == T0


def test_outside_the_window_it_waits_for_the_next_opening(world, session):
    # 22:00 in New York: the text goes at 08:00 the next morning, and the clocks start then.
    conversation = start_checkin(session, world.patient, "GAD-7", NIGHT)
    opening = datetime(2026, 3, 4, 13, 0, tzinfo=UTC)
    [(_, item)] = _outbox(conversation.id)
    assert item.not_before == opening
    assert conversation.opened_at == NIGHT and conversation.last_outbound_at == opening
    state = from_json(conversation.state)
    assert engine.due_action(state, NIGHT + timedelta(hours=5)) is None
    assert engine.due_action(state, opening + timedelta(hours=4)) == "remind"


def test_a_clinic_window_narrower_than_the_default(world, session):
    from datetime import time

    world.clinic.text_window_start = time(10, 0)
    conversation = start_checkin(session, world.patient, "PHQ-9", T0)  # 10:00 local exactly
    assert _outbox(conversation.id)[0][1].not_before == T0
    early = T0 - timedelta(minutes=30)
    world.patient.timezone = "America/Chicago"  # 08:30 there: waits for 10:00 Chicago
    later = start_checkin(session, world.patient, "GAD-7", early)
    assert _outbox(later.id)[0][1].not_before == datetime(2026, 3, 3, 16, 0, tzinfo=UTC)


def test_supersede_keeps_the_old_answers(world, session):
    from cocm.inbound import receive_sms

    first = start_checkin(session, world.patient, "PHQ-9", NIGHT)  # queued for the morning
    opening = NIGHT + timedelta(hours=10)
    receive_sms(
        session,
        message_sid="SMa1",
        from_number=world.patient.phone_e164,
        to_number=world.clinic.sms_number,
        body="3",
        opt_out_type=None,
        now=opening,
    )
    second = start_checkin(session, world.patient, "PHQ-9", opening + timedelta(minutes=5))
    assert first.status == "superseded" and first.closed_reason == "superseded"
    old = session.get(Assessment, first.assessment_id)
    assert old.status == "superseded" and [a.value for a in old.answers] == [3]
    assert second.status == "open" and second.assessment_id != first.assessment_id
    open_ones = session.scalars(
        select(Conversation).where(
            Conversation.patient_id == world.patient_id, Conversation.status == "open"
        )
    ).all()
    assert open_ones == [second]


def test_supersede_cancels_the_unsent_opening(world, session):
    first = start_checkin(session, world.patient, "PHQ-9", NIGHT)
    start_checkin(session, world.patient, "GAD-7", NIGHT + timedelta(minutes=1))
    [(message, item)] = _outbox(first.id)
    assert item.status == "cancelled" and message.status == "failed"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"sms_opted_out": True}, "opted out"),
        ({"phone_e164": None}, "no mobile number"),
        ({"phone_problem": "21610: unsubscribed recipient"}, "cannot receive texts"),
    ],
)
def test_refuses_patients_who_cannot_be_texted(world, session, change, words):
    patient = world.patient
    for name, value in change.items():
        setattr(patient, name, value)
    with pytest.raises(NotTextable, match=words):
        start_checkin(session, patient, "PHQ-9", T0)
    assert session.scalars(select(Conversation)).all() == []
    assert session.scalars(select(Assessment)).all() == []


def test_refuses_an_unknown_instrument(world, session):
    with pytest.raises(ValueError, match="unknown instrument 'PHQ-8'"):
        start_checkin(session, world.patient, "PHQ-8", T0)
    assert session.scalars(select(Message)).all() == []


def test_state_json_round_trip():
    state = engine.ConversationState(
        kind="checkin",
        instrument="GAD-7",
        answers=(1, None, 3, None, None, None, None),
        opened_at=T0,
        last_outbound_at=T0 + timedelta(hours=1),
        invalid_streak=1,
        waiting_for_person=True,
        reminded=True,
    )
    assert from_json(to_json(state)) == state
    assert from_json({}) is None and from_json(None) is None


def test_contact_confirmation_is_sent_once_per_contact(world, session):
    contact = Contact(
        patient_id=world.patient_id,
        staff_id=world.manager_id,
        kind="phone",
        outcome="reached",
        occurred_at=T0,
        next_contact_at=datetime(2026, 3, 12, 19, 0, tzinfo=UTC),
    )
    session.add(contact)
    session.flush()
    first = start_contact_confirmation(session, contact, T0)
    again = start_contact_confirmation(session, contact, T0 + timedelta(minutes=1))
    assert again is first and first.kind == "contact_confirm" and first.contact_id == contact.id
    [(message, item)] = _outbox(first.id)
    assert message.kind == "contact_confirm_request"
    assert "on Thursday, March 12 around 3:00 PM" in message.body
    assert message.body.endswith("Reply C to confirm or R to reschedule.")
    assert item.dedupe_key == f"contact_confirm:conversation:{first.id}"
    contact.next_contact_at = None
    first.status = "closed"
    with pytest.raises(ValueError, match="no next contact date"):
        start_contact_confirmation(session, contact, T0)


def test_contact_date_in_spanish_and_english():
    moment = datetime(2026, 3, 12, 19, 0, tzinfo=UTC)
    assert contact_when_text(moment, "America/New_York", "en") == (
        "on Thursday, March 12 around 3:00 PM"
    )
    assert contact_when_text(moment, "America/Chicago", "es-MX") == (
        "el jueves 12 de marzo a las 2:00 p. m."
    )
    assert contact_when_text(moment.replace(hour=4), "UTC", "en").endswith("around 4:00 AM")


def test_welcome_is_queued_once_in_the_window(world, session):
    message = send_welcome(session, world.patient, NIGHT)
    assert message.kind == "welcome" and message.body.startswith("Hi Dana, this is Riverside")
    assert "about every 14 days" in message.body and "Staff Member" in message.body
    item = session.scalar(select(OutboxItem).where(OutboxItem.message_id == message.id))
    assert item.not_before == datetime(2026, 3, 4, 13, 0, tzinfo=UTC)
    assert send_welcome(session, world.patient, NIGHT) is None
