"""The senders: Twilio through the real SDK and a recording HTTP client; console; recording."""

from __future__ import annotations

import dataclasses

import pytest
import requests

from cocm.messaging.errors import (
    PermanentSendError,
    TransientSendError,
    classify,
    is_transient,
)
from cocm.messaging.http_recording import (
    RecordingHttpClient,
    error_response,
    message_response,
    problem_response,
)
from cocm.messaging.senders import (
    ConsoleSender,
    RecordingSender,
    SendResult,
    SmsSender,
    TwilioSender,
    get_sender,
    recording_sender,
)

ACCOUNT = "AC" + "0" * 32
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Messages.json"


def twilio(settings, *answers, **overrides) -> tuple[TwilioSender, RecordingHttpClient]:
    http = RecordingHttpClient(*answers)
    settings = dataclasses.replace(settings, **overrides)
    return TwilioSender.from_settings(settings, http_client=http), http


def test_twilio_request_carries_to_from_body_status_callback_and_timeout(settings):
    sender, http = twilio(settings, message_response("SM" + "a" * 32, "queued"))
    result = sender.send(
        "+12025550142",
        "Hi Dana, time for a check-in.",
        from_number="+15005550006",
        status_callback="https://cocm.example.org/twilio/status",
    )
    assert result == SendResult("SM" + "a" * 32, "queued")
    [request] = http.requests
    assert request.method == "POST"
    assert request.url == MESSAGES_URL
    assert request.data == {
        "To": "+12025550142",
        "From": "+15005550006",
        "Body": "Hi Dana, time for a check-in.",
        "StatusCallback": "https://cocm.example.org/twilio/status",
    }
    assert request.auth == (ACCOUNT, "test-auth-token")
    assert request.timeout == settings.twilio_timeout_seconds == 10.0


def test_twilio_uses_a_messaging_service_and_the_default_status_callback(settings):
    sender, http = twilio(settings, message_response(), twilio_timeout_seconds=4.0)
    sender.send("+12025550142", "Hello", messaging_service_sid="MG" + "1" * 32)
    [request] = http.requests
    assert request.data["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in request.data
    assert request.data["StatusCallback"] == "https://cocm.example.org/twilio/status"
    assert request.timeout == 4.0


def test_twilio_falls_back_to_the_default_messaging_service(settings):
    sender, http = twilio(
        settings, message_response(), twilio_messaging_service_sid="MG" + "2" * 32
    )
    sender.send("+12025550142", "Hello")
    assert http.requests[0].data["MessagingServiceSid"] == "MG" + "2" * 32


def test_twilio_without_any_sender_number_is_permanent_and_sends_nothing(settings):
    sender, http = twilio(settings)
    with pytest.raises(PermanentSendError) as caught:
        sender.send("+12025550142", "Hello")
    assert caught.value.code == "no_sender"
    assert not caught.value.number_problem
    assert http.requests == []


@pytest.mark.parametrize(
    ("answer", "error", "code"),
    [
        (error_response(429, 20429, "Too Many Requests"), TransientSendError, "20429"),
        (error_response(500, 20500, "Internal Server Error"), TransientSendError, "20500"),
        (error_response(503, 20503, "Service Unavailable"), TransientSendError, "20503"),
        (
            error_response(400, 21610, "Attempt to send to unsubscribed recipient"),
            PermanentSendError,
            "21610",
        ),
        (
            error_response(400, 21211, "Invalid 'To' Phone Number: +1202555014"),
            PermanentSendError,
            "21211",
        ),
        (
            error_response(400, 21614, "'To' number is not a valid mobile number"),
            PermanentSendError,
            "21614",
        ),
        (
            error_response(400, 21612, "The 'To' phone number is not reachable"),
            PermanentSendError,
            "21612",
        ),
        (error_response(401, 20003, "Authenticate"), PermanentSendError, "20003"),
        (
            error_response(400, 30003, "Unreachable destination handset"),
            TransientSendError,
            "30003",
        ),
        (problem_response(429, 20429, "Too Many Requests"), TransientSendError, "20429"),
        (problem_response(400, 21610, "Unsubscribed recipient"), PermanentSendError, "21610"),
        (problem_response(422, 99999, "Something new"), PermanentSendError, "99999"),
    ],
)
def test_twilio_errors_are_classified(settings, answer, error, code):
    sender, _ = twilio(settings, answer)
    with pytest.raises(error) as caught:
        sender.send("+12025550142", "Hello", from_number="+15005550006")
    assert caught.value.code == code


def test_twilio_error_messages_never_keep_a_whole_phone_number(settings):
    sender, _ = twilio(
        settings, error_response(400, 21211, "Invalid 'To' Phone Number: +12025550142")
    )
    with pytest.raises(PermanentSendError) as caught:
        sender.send("+12025550142", "Hello", from_number="+15005550006")
    assert "2025550142" not in caught.value.summary
    assert "***42" in caught.value.summary
    assert caught.value.number_problem


@pytest.mark.parametrize(
    ("failure", "code"),
    [
        (requests.exceptions.ReadTimeout("read timed out"), "timeout"),
        (requests.exceptions.ConnectTimeout("connect timed out"), "timeout"),
        (requests.exceptions.ConnectionError("connection refused"), "transport"),
    ],
)
def test_twilio_timeouts_and_transport_errors_are_transient(settings, failure, code):
    sender, http = twilio(settings, failure)
    with pytest.raises(TransientSendError) as caught:
        sender.send("+12025550142", "Hello", from_number="+15005550006")
    assert caught.value.code == code
    assert len(http.requests) == 1


def test_twilio_fetch_status_reads_status_and_error_code(settings):
    sid = "SM" + "b" * 32
    sender, http = twilio(
        settings, message_response(sid, "undelivered", error_code=30003, status_code=200)
    )
    assert sender.fetch_status(sid) == SendResult(sid, "undelivered", "30003")
    [request] = http.requests
    assert request.method == "GET"
    assert request.url == MESSAGES_URL.replace(".json", f"/{sid}.json")


@pytest.mark.parametrize(
    ("status", "code", "transient"),
    [
        (429, None, True),
        (500, None, True),
        (502, None, True),
        (None, None, True),
        (400, "30001", True),
        (400, "30008", True),
        (400, "30022", True),
        (400, "21610", False),
        (500, "30004", False),  # a number-problem code wins over the HTTP status
        (400, "30005", False),
        (400, "30006", False),
        (400, "30007", False),
        (404, "20404", False),
        (400, None, False),
    ],
)
def test_classification_table(status, code, transient):
    assert is_transient(status, code) is transient
    assert isinstance(
        classify(status, code, "x"), TransientSendError if transient else PermanentSendError
    )


def test_console_sender_keeps_everything_local():
    result = ConsoleSender().send("+12025550142", "Hello")
    assert result.sid.startswith("SMconsole") and len(result.sid) == 41
    assert result.status == "sent"
    assert ConsoleSender().fetch_status(result.sid) is None


def test_recording_sender_records_and_follows_its_script():
    sender = RecordingSender()
    sender.script(TransientSendError("20429", "slow down"), SendResult("SMfixed", "sent"))
    with pytest.raises(TransientSendError):
        sender.send("+12025550142", "one", from_number="+15005550006")
    assert sender.send("+12025550142", "two").sid == "SMfixed"
    third = sender.send("+12025550142", "three")
    assert third.sid.startswith("SMrec")
    assert [call.body for call in sender.calls] == ["one", "two", "three"]
    assert [call.body for call in sender.sent] == ["two", "three"]
    assert sender.calls[0].error.code == "20429"
    sender.reset()
    assert sender.calls == []


def test_get_sender_follows_the_transport_setting(settings):
    assert get_sender(settings) is recording_sender()
    assert isinstance(
        get_sender(dataclasses.replace(settings, sms_transport="console")), ConsoleSender
    )
    real = get_sender(dataclasses.replace(settings, sms_transport="twilio"))
    assert isinstance(real, TwilioSender)
    assert real is get_sender(dataclasses.replace(settings, sms_transport="twilio"))
    assert real.client.http_client.timeout == settings.twilio_timeout_seconds
    for sender in (real, recording_sender(), ConsoleSender()):
        assert isinstance(sender, SmsSender)
