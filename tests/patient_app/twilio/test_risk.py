"""The risk protocol through the webhook (DESIGN section 5): the answer is stored, an urgent
item opens, the safety reply comes first, and a person is paged at once without Redis."""

from __future__ import annotations

import socket

from freezegun import freeze_time
from redis import Redis
from rq import Queue
from sqlalchemy import select

from cocm import db
from cocm.messaging import dispatch
from cocm.models import Assessment, Conversation, Message, Page, QueueEvent, QueueItem
from tests.patient_app.twilio.helpers import (
    EVENING,
    PUBLIC,
    T0,
    Phone,
    new_sid,
    queue_items,
    start,
)

SAFETY = "If you are thinking about hurting yourself, please call or text 988"


def _pages(item_id: int) -> list[Page]:
    return list(db.Session.scalars(select(Page).where(Page.queue_item_id == item_id)))


def _page_message(item_id: int) -> Message:
    [page] = _pages(item_id)
    return db.Session.get(Message, page.message_id, populate_existing=True)


@freeze_time(T0)
def test_item9_answered_2_in_clinic_hours(world, phone, recorder):
    conversation_id = start(world)
    for value in "10101010":
        phone.text(value)
    reply = phone.text("2")
    assert len(reply) == 2
    assert reply[0].startswith(SAFETY) and reply[1].startswith("Thank you")

    conversation = db.Session.get(Conversation, conversation_id)
    assessment = db.Session.get(Assessment, conversation.assessment_id, populate_existing=True)
    assert assessment.answer_list(9)[8] == 2
    assert assessment.risk is True and assessment.status == "completed" and assessment.total == 6

    [item] = queue_items(world.patient_id)
    assert (item.kind, item.priority, item.status) == ("risk_answer", "urgent", "open")
    assert item.assessment_id == assessment.id and "More than half the days" in item.reason
    [page] = _pages(item.id)
    assert page.level == 0 and page.staff_id == world.manager_id
    events = db.Session.scalars(select(QueueEvent).where(QueueEvent.queue_item_id == item.id))
    assert [(e.kind, e.staff_id) for e in events] == [
        ("opened", None),
        ("notified", world.manager_id),
    ]
    notice = _page_message(item.id)
    assert notice.kind == "staff_page" and notice.staff_id == world.manager_id
    assert f"{PUBLIC}/staff/queue/{item.id}" in notice.body
    assert "Dana" not in notice.body and world.patient.last_name not in notice.body
    # Delivered synchronously right after the webhook's commit, with no worker running.
    assert [call.to for call in recorder.sent] == ["+12025550181"]
    assert notice.status == "sent"
    safety = db.Session.scalar(
        select(Message).where(
            Message.kind == "safety_reply", Message.patient_id == world.patient_id
        )
    )
    assert safety.status == "sent" and safety.conversation_id == conversation_id


@freeze_time(EVENING)
def test_out_of_hours_the_on_call_person_is_paged(world, phone, recorder):
    start(world, now=EVENING)
    reply = phone.text("0 0 0 0 0 0 0 0 3")
    assert reply[0].startswith(SAFETY)
    [item] = queue_items(world.patient_id, "risk_answer")
    [page] = _pages(item.id)
    assert page.staff_id == world.on_call_id
    assert [call.to for call in recorder.sent] == ["+12025550182"]


@freeze_time(T0)
def test_risk_words_inside_a_normal_answer(world, phone):
    conversation_id = start(world)
    reply = phone.text("2, honestly I want to die")
    assert reply[0].startswith(SAFETY) and reply[1].startswith("(2/9)")
    conversation = db.Session.get(Conversation, conversation_id)
    assessment = db.Session.get(Assessment, conversation.assessment_id, populate_existing=True)
    assert assessment.answer_list(9)[0] == 2
    [item] = queue_items(world.patient_id)
    assert (item.kind, item.priority) == ("risk_words", "urgent")
    assert item.message_id == db.Session.scalar(
        select(Message.id).where(Message.body == "2, honestly I want to die")
    )
    assert len(_pages(item.id)) == 1


@freeze_time(T0)
def test_risk_words_with_nothing_open_and_while_opted_out(world, phone):
    assert phone.text("i keep thinking about suicide") == [_safety_text()]
    assert len(queue_items(world.patient_id, "risk_words")) == 1
    assert queue_items(world.patient_id, "free_text") == []  # the urgent item covers it
    phone.text("STOP")
    reply = phone.text("I want to end my life")
    assert reply == [_safety_text()]
    assert len(queue_items(world.patient_id, "risk_words")) == 2


@freeze_time(T0)
def test_item9_and_risk_words_in_one_text_open_one_item(world, phone, recorder):
    start(world)
    phone.text("0 0 0 0 0 0 0 0")  # eight of nine: not a full reply, so it is unreadable
    for value in "00000000":
        phone.text(value)
    reply = phone.text("3 I want to die")
    assert reply[0].startswith(SAFETY) and sum(SAFETY in r for r in reply) == 1
    [item] = [i for i in queue_items(world.patient_id) if i.priority == "urgent"]
    assert item.assessment_id is not None
    assert len(_pages(item.id)) == 1 and len(recorder.sent) == 1


@freeze_time(T0)
def test_replayed_risk_text_pages_once(world, phone, recorder):
    sid = new_sid()
    first = phone.text("I am going to kill myself", sid=sid)
    again = phone.text("I am going to kill myself", sid=sid)
    assert first == again == [_safety_text()]
    [item] = queue_items(world.patient_id)
    assert len(_pages(item.id)) == 1 and len(recorder.sent) == 1


@freeze_time(T0)
def test_unknown_number_with_risk_words(world, client, recorder):
    stranger = Phone(client, number="+13125550000")
    reply = stranger.text("I want to kill myself")
    assert reply[0] == _safety_text() and "could not match this phone number" in reply[1]
    item = db.Session.scalar(select(QueueItem).where(QueueItem.kind == "risk_words"))
    assert item.patient_id is None and item.clinic_id == world.clinic_id
    assert "unknown number" in item.reason
    assert [call.to for call in recorder.sent] == ["+12025550182"]  # no care manager: on-call


@freeze_time(T0)
def test_page_goes_out_with_redis_down(world, phone, recorder):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = Redis(host="127.0.0.1", port=port, socket_connect_timeout=1, socket_timeout=1)
    with dispatch.use_queue_factory(lambda name: Queue(name, connection=dead)):
        start(world)  # its opening text waits in the outbox for the sweeper
        reply = phone.text("1 and I want to die")
    assert reply[0] == _safety_text()
    [item] = queue_items(world.patient_id, "risk_words")
    assert [call.to for call in recorder.sent] == ["+12025550181"]
    assert _page_message(item.id).status == "sent"


def _safety_text() -> str:
    from cocm import texts

    return texts.safety_reply("en")
