"""raise_risk: an urgent item and an immediate notice to the right person, once."""

from __future__ import annotations

from sqlalchemy import select

from cocm.messaging.keys import URGENT_KEY
from cocm.models import EscalationStep, Message, OutboxItem, Page, QueueEvent, QueueItem
from cocm.risk.protocol import raise_risk
from tests.patient_app.twilio.helpers import EVENING, T0


def _raise(session, world, now=T0, **kwargs):
    kwargs.setdefault("message_id", None)
    return raise_risk(
        session,
        patient=world.patient,
        kind=kwargs.pop("kind", "risk_words"),
        reason="A text matched the risk phrase list",
        now=now,
        **kwargs,
    )


def _inbound(session, world) -> int:
    message = Message(
        direction="inbound",
        patient_id=world.patient_id,
        clinic_id=world.clinic_id,
        body="...",
        status="received",
        created_at=T0,
    )
    session.add(message)
    session.flush()
    return message.id


def test_in_hours_the_care_manager_is_notified(world, session):
    item = _raise(session, world, message_id=_inbound(session, world))
    assert (item.priority, item.status, item.kind) == ("urgent", "open", "risk_words")
    assert item.next_escalation_at is not None
    [page] = session.scalars(select(Page).where(Page.queue_item_id == item.id)).all()
    assert (page.level, page.staff_id) == (0, world.manager_id)
    message = session.get(Message, page.message_id)
    assert message.kind == "staff_page" and message.to_number == "+12025550181"
    assert message.body.endswith(f"https://cocm.example.org/staff/queue/{item.id}")
    outbox = session.scalar(select(OutboxItem).where(OutboxItem.message_id == message.id))
    assert outbox.dedupe_key == f"page:{item.id}:0" and outbox.id in session.info[URGENT_KEY]


def test_out_of_hours_and_on_weekends_the_on_call_person_is_paged(world, session):
    evening = _raise(session, world, now=EVENING, message_id=_inbound(session, world))
    saturday = T0.replace(day=7)
    weekend = _raise(session, world, now=saturday, message_id=_inbound(session, world))
    for item in (evening, weekend):
        page = session.scalar(select(Page).where(Page.queue_item_id == item.id))
        assert page.staff_id == world.on_call_id


def test_the_same_message_never_opens_two_items(world, session):
    message_id = _inbound(session, world)
    first = _raise(session, world, message_id=message_id)
    second = _raise(session, world, message_id=message_id)
    assert first is second
    assert len(session.scalars(select(Page)).all()) == 1


def test_a_staff_member_without_a_phone_still_gets_the_event(world, session):
    world.manager.phone = None
    item = _raise(session, world, message_id=_inbound(session, world))
    page = session.scalar(select(Page).where(Page.queue_item_id == item.id))
    assert page.staff_id == world.manager_id and page.message_id is None
    event = session.scalar(
        select(QueueEvent).where(QueueEvent.queue_item_id == item.id, QueueEvent.kind != "opened")
    )
    assert event.kind == "notified" and event.data["texted"] is False
    assert session.scalars(select(Message).where(Message.kind == "staff_page")).all() == []


def test_without_an_on_call_chain_the_care_manager_is_paged_after_hours(world, session):
    for step in session.scalars(select(EscalationStep)).all():
        session.delete(step)
    session.flush()
    item = _raise(session, world, now=EVENING, message_id=_inbound(session, world))
    page = session.scalar(select(Page).where(Page.queue_item_id == item.id))
    assert page.staff_id == world.manager_id


def test_nobody_to_notify_is_recorded(world, session):
    for step in session.scalars(select(EscalationStep)).all():
        session.delete(step)
    world.patient.care_manager_id = None
    session.flush()
    item = _raise(session, world, now=EVENING, message_id=_inbound(session, world))
    assert session.scalars(select(Page)).all() == []
    events = session.scalars(select(QueueEvent).where(QueueEvent.queue_item_id == item.id)).all()
    assert [e.kind for e in events] == ["opened", "notified"]
    assert events[1].data["nobody"] is True
    assert session.get(QueueItem, item.id).status == "open"


def test_unknown_kind_is_refused(world, session):
    import pytest

    with pytest.raises(ValueError, match="unknown risk kind"):
        _raise(session, world, kind="free_text")
