"""receive_sms as a service: routing, storing first, replies as messages and TwiML, replays."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sqlalchemy import select

from cocm.checkins import start_checkin
from cocm.inbound import receive_sms, twiml
from cocm.inbound.routing import normalize_phone
from cocm.models import Message
from tests.factories import ClinicFactory, PatientFactory
from tests.patient_app.twilio.helpers import CLINIC_NUMBER, PATIENT_PHONE, T0


def _receive(session, body, *, sid="SMtest1", from_=PATIENT_PHONE, to=CLINIC_NUMBER, **kwargs):
    return receive_sms(
        session,
        message_sid=sid,
        from_number=from_,
        to_number=to,
        body=body,
        opt_out_type=kwargs.pop("opt_out_type", None),
        now=T0,
        **kwargs,
    )


def _texts(document: str) -> list[str]:
    return [m.text for m in ET.fromstring(document).iter("Message")]


def test_inbound_is_stored_with_its_conversation_and_replies_recorded(world, session):
    conversation = start_checkin(session, world.patient, "PHQ-9", T0)
    result = _receive(session, "2")
    message = result.message
    assert message.direction == "inbound" and message.status == "received"
    assert message.patient_id == world.patient_id and message.clinic_id == world.clinic_id
    assert message.conversation_id == conversation.id and message.twilio_sid == "SMtest1"
    assert message.reply_twiml == result.twiml
    [reply] = session.scalars(
        select(Message).where(Message.direction == "outbound", Message.status == "sent")
    ).all()
    assert reply.kind == "next_item" and reply.to_number == PATIENT_PHONE
    assert reply.from_number == CLINIC_NUMBER and reply.conversation_id == conversation.id
    assert _texts(result.twiml) == [reply.body]


def test_replay_returns_the_stored_twiml_and_does_nothing(world, session):
    start_checkin(session, world.patient, "PHQ-9", T0)
    first = _receive(session, "2")
    count = len(session.scalars(select(Message)).all())
    again = _receive(session, "2")
    assert again.replayed and again.twiml == first.twiml and again.message is first.message
    assert len(session.scalars(select(Message)).all()) == count


def test_the_same_phone_at_two_clinics_is_routed_by_the_number_texted(world, session):
    other = ClinicFactory(sms_number="+15005550177")
    twin = PatientFactory(clinic=other, phone_e164=PATIENT_PHONE, first_name="Robin")
    result = _receive(session, "hello", to="+15005550177")
    assert result.message.patient_id == twin.id and result.message.clinic_id == other.id


def test_family_sharing_a_phone_prefers_the_open_episode(world, session):
    newer = PatientFactory(clinic=world.clinic, phone_e164=PATIENT_PHONE, first_name="Sam")
    session.flush()
    assert newer.id > world.patient_id  # newest record, but no open episode
    assert _receive(session, "hello").message.patient_id == world.patient_id


def test_messaging_service_routes_a_pool_number(world, session):
    world.clinic.messaging_service_sid = "MG" + "1" * 32
    result = _receive(session, "hello", to="+15005550555", messaging_service_sid="MG" + "1" * 32)
    assert result.message.clinic_id == world.clinic_id
    assert result.message.patient_id == world.patient_id


def test_a_message_without_sid_or_body_is_still_stored(world, session):
    result = _receive(session, None, sid=None)
    assert result.message.id is not None and result.message.body == ""
    assert result.message.twilio_sid is None


def test_an_unparseable_sender_is_an_unknown_number(world, session):
    result = _receive(session, "hello", from_="not-a-number-at-all-but-long")
    assert result.message.patient_id is None
    assert len(result.message.from_number) <= 20
    assert "could not match" in _texts(result.twiml)[0]


def test_helpers():
    assert normalize_phone("(202) 555-0142") == "+12025550142"
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"
    assert normalize_phone("12") is None and normalize_phone("") is None
    assert twiml() == '<?xml version="1.0" encoding="UTF-8"?><Response />'
    assert _texts(twiml(["a & b", "c"])) == ["a & b", "c"]
