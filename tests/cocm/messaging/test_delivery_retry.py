"""Delivery re-checks, claims once, and retries transient errors with backoff (DESIGN 6)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
import requests
from sqlalchemy import select, update

from cocm.messaging import delivery, delivery_rows
from cocm.messaging.delivery import deliver
from cocm.messaging.errors import TransientSendError
from cocm.messaging.http_recording import RecordingHttpClient, error_response, message_response
from cocm.messaging.retry import BACKOFF, MAX_ATTEMPTS
from cocm.messaging.senders import TwilioSender
from cocm.models import OutboxItem, QueueItem
from jobs.messaging import deliver_outbox
from tests.cocm.messaging.helpers import MORNING, fresh, outbox_for, queue_text


def twilio(settings, *answers):
    http = RecordingHttpClient(*answers)
    return TwilioSender.from_settings(settings, http_client=http), http


def _committed_text(session, patient, **kwargs):
    message = queue_text(session, patient, MORNING, **kwargs)
    session.commit()
    return message, outbox_for(session, message).id


def test_a_429_is_retried_with_backoff_and_then_sent(session, settings, patient):
    sender, http = twilio(
        settings, error_response(429, 20429, "Too Many Requests"), message_response("SM" + "c" * 32)
    )
    message, outbox_id = _committed_text(session, patient)

    assert deliver(session, outbox_id, MORNING, sender) == "retry"
    item = outbox_for(session, message)
    assert (item.status, item.attempts, item.enqueued_at) == ("pending", 1, None)
    assert item.last_error.startswith("20429")
    assert timedelta(seconds=24) <= item.not_before - MORNING <= timedelta(seconds=36)
    assert fresh(session, message).status == "queued"

    assert deliver(session, outbox_id, MORNING + timedelta(seconds=10), sender) == "not_due"
    assert len(http.requests) == 1

    assert deliver(session, outbox_id, item.not_before, sender) == "sent"
    first, second = http.requests
    assert first.data == second.data
    assert second.data["StatusCallback"] == "https://cocm.example.org/twilio/status"
    assert second.data["From"] == patient.clinic.sms_number
    message = fresh(session, message)
    assert (message.twilio_sid, message.status) == ("SM" + "c" * 32, "sent")
    item = outbox_for(session, message)
    assert (item.status, item.attempts, item.last_error) == ("done", 2, None)


def test_a_timeout_is_transient(session, settings, patient):
    sender, http = twilio(settings, requests.exceptions.ReadTimeout("read timed out"))
    message, outbox_id = _committed_text(session, patient)
    assert deliver(session, outbox_id, MORNING, sender) == "retry"
    item = outbox_for(session, message)
    assert (item.status, item.attempts) == ("pending", 1)
    assert item.last_error.startswith("timeout")
    assert http.requests[0].timeout == settings.twilio_timeout_seconds


def test_backoff_grows_then_gives_up_after_the_last_attempt(session, patient, recorder):
    recorder.script(*[TransientSendError("30003", "Unreachable handset")] * MAX_ATTEMPTS)
    message, outbox_id = _committed_text(session, patient)
    now, waits = MORNING, []
    for attempt in range(1, MAX_ATTEMPTS):
        assert deliver(session, outbox_id, now, recorder) == "retry"
        item = outbox_for(session, message)
        assert item.attempts == attempt
        waits.append(item.not_before - now)
        now = item.not_before
    expected = [*BACKOFF, *[BACKOFF[-1]] * (MAX_ATTEMPTS - 1 - len(BACKOFF))]
    for wait, base in zip(waits, expected, strict=True):
        assert base * 0.8 <= wait <= base * 1.2
    assert waits[0] < waits[1] < waits[2] < waits[3] < waits[4]

    assert deliver(session, outbox_id, now, recorder) == "failed"
    assert len(recorder.calls) == MAX_ATTEMPTS
    item = outbox_for(session, message)
    assert (item.status, item.attempts) == ("failed", MAX_ATTEMPTS)
    message = fresh(session, message)
    assert (message.status, message.error_code) == ("failed", "30003")
    queue_item = session.scalars(select(QueueItem).where(QueueItem.patient_id == patient.id)).one()
    assert queue_item.kind == "delivery_failure"
    assert f"after {MAX_ATTEMPTS} tries" in queue_item.reason
    assert fresh(session, patient).phone_problem is None  # a flaky handset is not a bad number
    assert deliver(session, outbox_id, now + timedelta(hours=3), recorder) == "already_failed"


def test_running_deliver_twice_sends_once(session, patient, recorder):
    message, outbox_id = _committed_text(session, patient)
    assert deliver(session, outbox_id, MORNING, recorder) == "sent"
    assert deliver(session, outbox_id, MORNING, recorder) == "already_done"
    assert deliver_outbox(outbox_id) == "already_done"
    assert len(recorder.calls) == 1
    message = fresh(session, message)
    assert message.twilio_sid == recorder.calls[0].sid
    assert message.status == "sent"


def test_a_row_another_worker_is_sending_is_left_alone_until_its_lease_expires(
    session, patient, recorder
):
    message, outbox_id = _committed_text(session, patient)
    session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == outbox_id)
        .values(status="sending", attempts=1, locked_until=MORNING + delivery.LEASE)
    )
    session.commit()
    assert deliver(session, outbox_id, MORNING + timedelta(minutes=1), recorder) == "busy"
    assert recorder.calls == []
    # The worker died mid-send: after the lease the row is tried again (the documented window).
    later = MORNING + delivery.LEASE + timedelta(seconds=1)
    assert deliver(session, outbox_id, later, recorder) == "sent"
    assert outbox_for(session, message).attempts == 2


def test_the_claim_is_a_compare_and_set(session, patient):
    """Two workers that both read the row pending: only the first claim wins."""
    message, outbox_id = _committed_text(session, patient)
    stale = session.execute(delivery_rows.LOOK, {"outbox_id": outbox_id}).one()
    session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == outbox_id)
        .values(status="sending", attempts=1)
        .execution_options(synchronize_session=False)
    )
    assert stale.status == "pending"  # what the slower worker read
    assert delivery._claim(session, outbox_id, stale, MORNING) is None


def test_two_workers_retaking_an_expired_lease_do_not_both_claim_it(session, patient):
    message, outbox_id = _committed_text(session, patient)
    session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == outbox_id)
        .values(status="sending", attempts=1, locked_until=MORNING)
    )
    session.commit()
    later = MORNING + timedelta(minutes=1)
    stale = session.execute(delivery_rows.LOOK, {"outbox_id": outbox_id}).one()
    # The faster worker re-claims the expired lease: still "sending", now attempt 2.
    session.execute(
        update(OutboxItem)
        .where(OutboxItem.id == outbox_id)
        .values(attempts=2, locked_until=later + delivery.LEASE)
        .execution_options(synchronize_session=False)
    )
    assert (stale.status, stale.attempts) == ("sending", 1)
    assert delivery._claim(session, outbox_id, stale, later) is None


def test_a_patient_who_opted_out_since_is_not_texted(session, patient, recorder):
    message, outbox_id = _committed_text(session, patient)
    confirmation, confirmation_id = _committed_text(session, patient, kind="optout_confirm")
    patient.sms_opted_out = True
    session.commit()
    assert deliver(session, outbox_id, MORNING, recorder) == "cancelled"
    item = outbox_for(session, message)
    assert (item.status, item.last_error) == ("cancelled", "opted_out")
    assert (fresh(session, message).status, fresh(session, message).error_code) == (
        "failed",
        "opted_out",
    )
    # The confirmation of the STOP itself still goes.
    assert deliver(session, confirmation_id, MORNING, recorder) == "sent"
    assert [call.body for call in recorder.calls] == [confirmation.body]


def test_a_flagged_number_is_not_texted_again(session, patient, recorder):
    _, outbox_id = _committed_text(session, patient)
    patient.phone_problem = "The phone number is not a valid number."
    session.commit()
    assert deliver(session, outbox_id, MORNING, recorder) == "cancelled"
    assert recorder.calls == []


def test_the_text_goes_to_the_patients_current_number(session, patient, recorder):
    message, outbox_id = _committed_text(session, patient)
    patient.phone_e164 = "+12025550177"
    session.commit()
    assert deliver(session, outbox_id, MORNING, recorder) == "sent"
    assert recorder.calls[0].to == "+12025550177"
    assert fresh(session, message).to_number == "+12025550177"


def test_an_unknown_id_is_a_no_op(session, recorder):
    assert deliver(session, 987654, MORNING, recorder) == "missing"
    assert recorder.calls == []


def test_a_sender_bug_is_retried_not_lost(session, patient, recorder):
    recorder.script(RuntimeError("boom"))
    message, outbox_id = _committed_text(session, patient)
    assert deliver(session, outbox_id, MORNING, recorder) == "retry"
    assert outbox_for(session, message).last_error == "internal: RuntimeError"


@pytest.mark.parametrize("service", [None, "MG" + "3" * 32])
def test_the_clinic_number_and_service_route_the_text(session, settings, patient, service):
    patient.clinic.messaging_service_sid = service
    sender, http = twilio(dataclasses.replace(settings), message_response())
    _, outbox_id = _committed_text(session, patient)
    assert deliver(session, outbox_id, MORNING, sender) == "sent"
    data = http.requests[0].data
    assert data["From"] == patient.clinic.sms_number
    assert data.get("MessagingServiceSid") == service
