"""STOP, START and HELP through the webhook: the consent log, cancelled sends, staff follow-up."""

from __future__ import annotations

from freezegun import freeze_time
from sqlalchemy import select

from cocm import db
from cocm.checkins import send_welcome
from cocm.models import Assessment, ConsentEvent, Conversation, Message, OutboxItem
from tests.patient_app.twilio.helpers import NIGHT, T0, queue_items, start


def _consents(patient_id: int) -> list[ConsentEvent]:
    return list(
        db.Session.scalars(
            select(ConsentEvent)
            .where(ConsentEvent.patient_id == patient_id)
            .order_by(ConsentEvent.id)
        )
    )


@freeze_time(T0)
def test_stop_in_the_middle_of_a_checkin_then_start(world, phone):
    conversation_id = start(world)
    phone.text("1")
    phone.text("2")
    # A proactive text still waiting for tonight's window must never go after STOP.
    with freeze_time(NIGHT):
        welcome = send_welcome(db.Session(), world.patient, NIGHT)
        welcome_id = welcome.id
        db.Session.commit()

    reply = phone.text("  stop ")
    assert len(reply) == 1 and "unsubscribed" in reply[0]
    patient = world.patient
    assert patient.sms_opted_out is True
    [event] = _consents(world.patient_id)
    assert (event.kind, event.source, event.wording) == ("opt_out", "keyword", "  stop ")
    assert event.message_id is not None

    conversation = db.Session.get(Conversation, conversation_id, populate_existing=True)
    assert conversation.status == "opted_out" and conversation.closed_at == T0
    assessment = db.Session.get(Assessment, conversation.assessment_id, populate_existing=True)
    assert assessment.status == "partial" and assessment.total is None
    assert assessment.answer_list(9)[:3] == [1, 2, None]

    outbox = db.Session.scalar(select(OutboxItem).where(OutboxItem.message_id == welcome_id))
    assert outbox.status == "cancelled"
    assert db.Session.get(Message, welcome_id).status == "failed"
    [item] = queue_items(world.patient_id, "opted_out")
    assert item.priority == "normal" and "follow up by phone" in item.reason

    # Opted out: an ordinary text gets no reply, but a person sees it.
    assert phone.text("sorry, wrong button") == []
    assert len(queue_items(world.patient_id, "free_text")) == 1
    # A second STOP is logged but neither confirmed again nor queued again.
    assert phone.text("STOP") == []
    assert len(queue_items(world.patient_id, "opted_out")) == 1

    back = phone.text("START")
    assert len(back) == 1 and "subscribed again" in back[0]
    assert world.patient.sms_opted_out is False
    kinds = [(e.kind, e.source) for e in _consents(world.patient_id)]
    assert kinds == [("opt_out", "keyword"), ("opt_out", "keyword"), ("opt_in", "keyword")]


@freeze_time(T0)
def test_yes_opts_back_in_only_while_opted_out(world, phone):
    phone.text("UNSUBSCRIBE")
    assert "subscribed again" in phone.text("Yes")[0]
    assert world.patient.sms_opted_out is False


@freeze_time(T0)
def test_twilio_opt_out_type_is_honoured_for_a_custom_keyword(world, phone):
    conversation_id = start(world)
    reply = phone.text("arrêt", OptOutType="STOP")
    assert "unsubscribed" in reply[0]
    [event] = _consents(world.patient_id)
    assert (event.kind, event.source, event.wording) == ("opt_out", "twilio_opt_out_type", "arrêt")
    assert db.Session.get(Conversation, conversation_id).status == "opted_out"
    assert world.patient.sms_opted_out is True


@freeze_time(T0)
def test_help_answers_and_leaves_the_checkin_where_it_was(world, phone):
    conversation_id = start(world)
    phone.text("1")
    reply = phone.text("help")
    assert len(reply) == 1
    assert "988" in reply[0] and "STOP" in reply[0] and "Riverside Family Medicine" in reply[0]
    [event] = _consents(world.patient_id)
    assert (event.kind, event.source) == ("help", "keyword")
    conversation = db.Session.get(Conversation, conversation_id, populate_existing=True)
    assert conversation.status == "open"
    assert phone.text("2")[0].startswith("(3/9)")
