"""Unknown numbers, unknown clinics, odd bodies, replays and a database that fails: every
validly signed text that was stored gets 200 and TwiML, and one that was not gets 503."""

from __future__ import annotations

import contextlib

import pytest
from freezegun import freeze_time
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.exc import OperationalError

from cocm import db
from cocm.models import Message, QueueItem
from tests.patient_app.twilio.helpers import (
    CLINIC_NUMBER,
    PATIENT_PHONE,
    T0,
    Phone,
    new_sid,
    queue_items,
    start,
)


def _inbound(sid: str) -> list[Message]:
    return list(db.Session.scalars(select(Message).where(Message.twilio_sid == sid)))


def _count() -> int:
    return db.Session.scalar(select(func.count(Message.id)))


@freeze_time(T0)
def test_unknown_number_gets_a_reply_without_phi(world, client):
    stranger = Phone(client, number="+13125550000")
    sid = new_sid()
    [reply] = stranger.text("Hi is this Dr Smith? 2", sid=sid)
    assert "could not match this phone number" in reply and "(555) 010-0000" in reply
    for phi in ("Dana", world.patient.last_name, "Riverside", "check-in"):
        assert phi not in reply
    [stored] = _inbound(sid)
    assert stored.patient_id is None and stored.clinic_id == world.clinic_id
    assert db.Session.scalar(select(func.count(QueueItem.id))) == 0


@freeze_time(T0)
def test_unknown_clinic_number_is_stored_and_answered_with_empty_twiml(world, client):
    elsewhere = Phone(client, clinic_number="+15005559999")
    sid = new_sid()
    response = elsewhere.send("1", sid=sid)
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert response.text.endswith("<Response />")
    [stored] = _inbound(sid)
    assert stored.clinic_id is None and stored.patient_id is None and stored.body == "1"
    # Even there, a risk phrase gets the safety reply (which names nobody).
    assert elsewhere.text("i want to die")[0].startswith("If you are thinking about hurting")


@freeze_time(T0)
@pytest.mark.parametrize(
    "body",
    ["😀🙏 gracias 💙", "x" * 2000, ("I feel ok 🙂 " * 200)[:2000], "", "<Response>&amp;"],
)
def test_emoji_long_and_odd_bodies_are_stored_intact(world, phone, body):
    sid = new_sid()
    response = phone.send(body, sid=sid)
    assert response.status_code == 200
    [stored] = _inbound(sid)
    assert stored.body == body and stored.status == "received"


@freeze_time(T0)
def test_a_nul_character_cannot_make_a_text_unstorable(world, phone):
    sid = new_sid()
    assert phone.send("ok\x00then", sid=sid).status_code == 200
    assert _inbound(sid)[0].body == "ok\ufffdthen"


@freeze_time(T0)
def test_emoji_answer_during_a_checkin_is_reasked(world, phone):
    start(world)
    assert phone.text("👍")[0].startswith("Sorry, we did not understand")
    assert phone.text("2 🙂")[0].startswith("(2/9)")


@freeze_time(T0)
def test_replayed_message_sid_gets_the_same_twiml_and_changes_nothing(world, phone):
    start(world)
    sid = new_sid()
    first = phone.send("1", sid=sid)
    before = _count()
    again = phone.send("1", sid=sid)
    assert again.status_code == 200 and again.data == first.data
    assert _count() == before
    assert len(_inbound(sid)) == 1
    # The check-in moved on by one item only.
    assert phone.text("1")[0].startswith("(3/9)")


@contextlib.contextmanager
def _listening(name: str, error: Exception):
    def fail(*args, **kwargs):
        raise error

    event.listen(db.session_factory, name, fail)
    try:
        yield
    finally:
        event.remove(db.session_factory, name, fail)


@freeze_time(T0)
@pytest.mark.parametrize("hook", ["before_flush", "before_commit"])
def test_database_failure_is_503_and_nothing_is_kept(world, phone, hook):
    start(world)
    before = _count()
    sid = new_sid()
    with _listening(hook, OperationalError("INSERT", {}, Exception("server closed"))):
        response = phone.send("2", sid=sid)
    assert response.status_code == 503
    assert _count() == before and _inbound(sid) == []
    # Twilio's retry then goes through.
    assert phone.text("2", sid=sid)[0].startswith("(2/9)")


@freeze_time(T0)
def test_unreachable_database_is_503(world, phone, tmp_path):
    original = db.session_factory.kw["bind"]
    broken = create_engine(f"sqlite:///{tmp_path}/missing/dir/cocm.sqlite3")
    db.Session.remove()
    db.session_factory.configure(bind=broken)
    try:
        response = phone.send("STOP")
    finally:
        db.Session.remove()
        db.session_factory.configure(bind=original)
        broken.dispose()
    assert response.status_code == 503
    assert world.patient.sms_opted_out is False


@freeze_time(T0)
def test_shared_phone_routes_to_the_patient_with_the_open_checkin(world, phone):
    from tests.factories import PatientFactory

    sibling = PatientFactory(clinic=world.clinic, phone_e164=PATIENT_PHONE, first_name="Alex")
    sibling_id = sibling.id
    db.Session.commit()
    start(world)
    assert phone.text("3")[0].startswith("(2/9)")
    assert queue_items(sibling_id) == []
    assert (
        db.Session.scalar(
            select(Message.patient_id).where(Message.body == "3", Message.direction == "inbound")
        )
        == world.patient_id
    )


@freeze_time(T0)
def test_non_e164_sender_and_clinic_numbers_are_normalized(world, client):
    national = Phone(client, number="(202) 555-0142", clinic_number="1 500 555 0100")
    sid = new_sid()
    reply = national.text("hello", sid=sid)
    assert "care team will see your message" in reply[0]
    [stored] = _inbound(sid)
    assert (stored.from_number, stored.to_number) == (PATIENT_PHONE, CLINIC_NUMBER)
    assert stored.patient_id == world.patient_id
