"""X-Twilio-Signature on the configured public URL, never on the URL the app sees."""

from __future__ import annotations

from freezegun import freeze_time
from sqlalchemy import func, select

from cocm import db
from cocm.models import Message
from tests.patient_app.twilio.helpers import (
    CLINIC_NUMBER,
    INTERNAL,
    PATIENT_PHONE,
    T0,
    inbound_params,
    new_sid,
    post_signed,
    replies,
    sign,
)


def _count() -> int:
    return db.Session.scalar(select(func.count(Message.id)))


@freeze_time(T0)
def test_signed_on_public_url_behind_a_proxy_is_accepted(client, world):
    params = inbound_params("hello", PATIENT_PHONE, CLINIC_NUMBER)
    # The app sees http://internal:8000; Twilio signed https://cocm.example.org.
    response = post_signed(client, "/twilio/sms", params, base_url=INTERNAL)
    assert replies(response)  # the free-text acknowledgement
    stored = db.Session.scalar(select(Message).where(Message.twilio_sid == params["MessageSid"]))
    assert stored.body == "hello" and stored.patient_id == world.patient_id


@freeze_time(T0)
def test_query_string_with_escaped_characters_is_signed_raw(client, world):
    path = "/twilio/sms?clinic=a%20b&x=%2F"
    params = inbound_params("hello", PATIENT_PHONE, CLINIC_NUMBER)
    assert sign(path, params) != sign("/twilio/sms?clinic=a b&x=/", params)
    assert post_signed(client, path, params).status_code == 200


@freeze_time(T0)
def test_an_unknown_extra_parameter_is_part_of_the_signature(client, world):
    params = inbound_params("hello", PATIENT_PHONE, CLINIC_NUMBER, NewTwilioParam="some value")
    assert post_signed(client, "/twilio/sms", params).status_code == 200
    # The same request with the new parameter left out of the signature is refused.
    without = {k: v for k, v in params.items() if k != "NewTwilioParam"}
    refused = post_signed(client, "/twilio/sms", params, signature=sign("/twilio/sms", without))
    assert refused.status_code == 403


@freeze_time(T0)
def test_signature_on_the_internal_url_is_refused_and_nothing_stored(client, world):
    params = inbound_params("hello", PATIENT_PHONE, CLINIC_NUMBER)
    before = _count()
    internal_signature = sign("/twilio/sms", params, base=INTERNAL)
    response = post_signed(client, "/twilio/sms", params, signature=internal_signature)
    assert response.status_code == 403
    assert _count() == before


@freeze_time(T0)
def test_bad_missing_or_tampered_signature_is_403_with_nothing_stored(client, world):
    params = inbound_params("STOP", PATIENT_PHONE, CLINIC_NUMBER)
    before = _count()
    assert (
        post_signed(client, "/twilio/sms", params, signature="bm90IGEgc2lnbmF0dXJl").status_code
        == 403
    )
    assert client.post("/twilio/sms", data=params, base_url=INTERNAL).status_code == 403
    tampered = dict(params, Body="START")
    signature = sign("/twilio/sms", params)
    assert post_signed(client, "/twilio/sms", tampered, signature=signature).status_code == 403
    wrong_token = sign("/twilio/sms", params, token="another-token")
    assert post_signed(client, "/twilio/sms", params, signature=wrong_token).status_code == 403
    assert _count() == before
    assert world.patient.sms_opted_out is False


@freeze_time(T0)
def test_status_callback_is_signed_and_applied(client, world):
    sid = new_sid()
    db.Session.add(
        Message(
            direction="outbound",
            patient_id=world.patient_id,
            clinic_id=world.clinic_id,
            kind="checkin_open",
            body="Hi",
            twilio_sid=sid,
            status="sent",
            created_at=T0,
        )
    )
    db.Session.commit()
    params = {
        "SmsSid": sid,
        "SmsStatus": "delivered",
        "MessageStatus": "delivered",
        "To": PATIENT_PHONE,
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": CLINIC_NUMBER,
        "ApiVersion": "2010-04-01",
    }
    unsigned = post_signed(client, "/twilio/status", params, signature="")
    assert unsigned.status_code == 403
    response = post_signed(client, "/twilio/status?attempt=1%2B1", params)
    assert response.status_code == 200 and response.mimetype == "text/xml"
    assert db.Session.scalar(select(Message.status).where(Message.twilio_sid == sid)) == "delivered"
    # A late "sent" never moves it back.
    late = dict(params, MessageStatus="sent", SmsStatus="sent")
    assert post_signed(client, "/twilio/status", late).status_code == 200
    assert db.Session.scalar(select(Message.status).where(Message.twilio_sid == sid)) == "delivered"
