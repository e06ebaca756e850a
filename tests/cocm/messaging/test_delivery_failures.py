"""Permanent failures: the message fails, the number is flagged, and a queue item tells staff."""

from __future__ import annotations

from sqlalchemy import select

from cocm.messaging.delivery import deliver
from cocm.messaging.errors import NUMBER_PROBLEM_REASONS, PermanentSendError
from cocm.messaging.http_recording import RecordingHttpClient, error_response
from cocm.messaging.senders import TwilioSender
from cocm.models import AuditEvent, QueueItem
from tests.cocm.messaging.helpers import MORNING, fresh, outbox_for, page_staff, queue_text
from tests.factories import staff_with_role


def _items(session, **where):
    query = select(QueueItem).where(
        *(getattr(QueueItem, name) == value for name, value in where.items())
    )
    return session.scalars(query).all()


def test_21610_fails_at_once_flags_the_number_and_tells_staff(session, settings, patient):
    http = RecordingHttpClient(
        error_response(400, 21610, "Attempt to send to unsubscribed recipient")
    )
    sender = TwilioSender.from_settings(settings, http_client=http)
    message = queue_text(session, patient, MORNING)
    session.commit()
    outbox_id = outbox_for(session, message).id

    assert deliver(session, outbox_id, MORNING, sender) == "failed"
    assert len(http.requests) == 1  # never retried
    message = fresh(session, message)
    assert (message.status, message.error_code) == ("failed", "21610")
    item = outbox_for(session, message)
    assert (item.status, item.attempts, item.done_at) == ("failed", 1, MORNING)
    assert item.last_error.startswith("21610")

    patient = fresh(session, patient)
    assert patient.phone_problem == NUMBER_PROBLEM_REASONS["21610"]
    assert patient.phone_problem_at == MORNING
    [queue_item] = _items(session, patient_id=patient.id)
    assert (queue_item.kind, queue_item.priority, queue_item.status) == (
        "delivery_failure",
        "normal",
        "open",
    )
    assert queue_item.dedupe_key == f"delivery_failure:patient:{patient.id}"
    assert queue_item.message_id == message.id
    assert "21610" in queue_item.reason and "STOP" in queue_item.reason
    audit = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "patient.phone_problem_flagged")
    ).one()
    assert (audit.patient_id, audit.object_id, audit.detail) == (
        patient.id,
        message.id,
        {"error_code": "21610"},
    )

    # Running it again changes nothing and calls Twilio no more.
    assert deliver(session, outbox_id, MORNING, sender) == "already_failed"
    assert len(http.requests) == 1


def test_a_second_failure_for_the_same_patient_keeps_one_open_item(session, patient, recorder):
    recorder.script(PermanentSendError("30006", "Landline"), PermanentSendError("30005", "Gone"))
    first = queue_text(session, patient, MORNING)
    second = queue_text(session, patient, MORNING, kind="reminder")
    session.commit()
    assert deliver(session, outbox_for(session, first).id, MORNING, recorder) == "failed"
    # The number is flagged now: the second text is cancelled without calling the provider.
    assert deliver(session, outbox_for(session, second).id, MORNING, recorder) == "cancelled"
    assert len(recorder.calls) == 1
    assert len(_items(session, patient_id=patient.id)) == 1


def test_an_unknown_4xx_fails_without_blaming_the_patients_number(session, settings, patient):
    http = RecordingHttpClient(error_response(401, 20003, "Authenticate"))
    sender = TwilioSender.from_settings(settings, http_client=http)
    message = queue_text(session, patient, MORNING)
    session.commit()
    assert deliver(session, outbox_for(session, message).id, MORNING, sender) == "failed"
    assert fresh(session, message).error_code == "20003"
    assert fresh(session, patient).phone_problem is None
    [queue_item] = _items(session, patient_id=patient.id)
    assert "texting setup" in queue_item.reason


def test_a_page_to_staff_without_a_phone_fails_and_opens_an_item(session, clinic, recorder):
    nurse = staff_with_role(clinic, "care_manager", phone="+12025550111")
    message = page_staff(session, clinic, nurse, MORNING, urgent=False)
    nurse.phone = None
    session.commit()
    assert deliver(session, outbox_for(session, message).id, MORNING, recorder) == "failed"
    assert recorder.calls == []
    [queue_item] = _items(session, dedupe_key=f"delivery_failure:staff:{nurse.id}")
    assert queue_item.patient_id is None
    assert nurse.full_name in queue_item.reason


def test_a_permanent_failure_of_a_page_is_reported_per_staff_member(session, clinic, recorder):
    nurse = staff_with_role(clinic, "care_manager", phone="+12025550112")
    recorder.script(PermanentSendError("21614", "not a mobile number"))
    message = page_staff(session, clinic, nurse, MORNING, urgent=False)
    session.commit()
    assert deliver(session, outbox_for(session, message).id, MORNING, recorder) == "failed"
    [queue_item] = _items(session, dedupe_key=f"delivery_failure:staff:{nurse.id}")
    assert queue_item.message_id == message.id
