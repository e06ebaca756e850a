"""Status callbacks only move a message forward; failures flag, resend or just record."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from cocm.messaging.delivery import deliver
from cocm.messaging.http_recording import RecordingHttpClient, message_response
from cocm.messaging.reconcile import reconcile
from cocm.messaging.retry import MAX_ATTEMPTS
from cocm.messaging.senders import SendResult, TwilioSender
from cocm.messaging.status import apply_status, later, normalize, rank
from cocm.models import QueueItem
from jobs.messaging import reconcile_delivery
from tests.cocm.messaging.helpers import MORNING, fresh, outbox_for, queue_text

T1 = MORNING + timedelta(minutes=1)
T2 = MORNING + timedelta(minutes=2)


@pytest.fixture
def sent(session, patient, recorder):
    """A check-in text that went out: (message, its sid)."""
    message = queue_text(session, patient, MORNING)
    session.commit()
    assert deliver(session, outbox_for(session, message).id, MORNING, recorder) == "sent"
    message = fresh(session, message)
    return message, message.twilio_sid


def _statuses(session, sid, *reports):
    for status, code, when in reports:
        apply_status(session, sid, status, code, when)
    session.commit()


def test_a_late_sent_never_overwrites_delivered(session, sent):
    message, sid = sent
    _statuses(session, sid, ("delivered", None, T1), ("sent", None, T2), ("queued", None, T2))
    message = fresh(session, message)
    assert (message.status, message.status_at) == ("delivered", T1)


def test_read_follows_delivered(session, sent):
    message, sid = sent
    _statuses(session, sid, ("delivered", None, T1), ("read", None, T2), ("delivered", None, T2))
    assert fresh(session, message).status == "read"


def test_delivered_after_a_failure_report_wins_and_a_late_failure_does_not(session, sent):
    message, sid = sent
    _statuses(session, sid, ("undelivered", "30003", T1), ("delivered", None, T2))
    assert fresh(session, message).status == "delivered"
    _statuses(session, sid, ("failed", "30005", T2))
    message = fresh(session, message)
    assert (message.status, message.error_code) == ("delivered", "30003")


def test_twilio_words_are_mapped_and_ranked():
    assert [normalize(word) for word in ("accepted", "canceled", "partially_delivered")] == [
        "queued",
        "failed",
        "delivered",
    ]
    assert normalize("receiving") is None and normalize("bogus") is None
    order = ["queued", "sending", "sent", "failed", "delivered", "read"]
    assert [rank(s) for s in order] == sorted(rank(s) for s in order)
    assert rank("failed") == rank("undelivered")
    assert later("delivered", "sent") == "delivered"
    assert later("failed", "undelivered") == "failed"


def test_an_unknown_sid_or_status_changes_nothing(session, sent):
    message, sid = sent
    assert apply_status(session, "SM" + "f" * 32, "delivered", None, T1) is None
    assert apply_status(session, sid, "receiving", None, T1).status == "sent"


def test_a_permanent_failure_by_callback_flags_the_number(session, sent, patient):
    message, sid = sent
    _statuses(session, sid, ("undelivered", "30006", T1))
    message = fresh(session, message)
    assert (message.status, message.error_code) == ("undelivered", "30006")
    assert fresh(session, patient).phone_problem.startswith("The number is a landline")
    [item] = session.scalars(select(QueueItem).where(QueueItem.patient_id == patient.id)).all()
    assert item.kind == "delivery_failure"
    # A replayed callback opens nothing more.
    _statuses(session, sid, ("undelivered", "30006", T2), ("failed", "30006", T2))
    assert len(session.scalars(select(QueueItem)).all()) == 1


def test_30003_after_sent_is_recorded_and_not_resent(session, sent, patient, recorder):
    message, sid = sent
    _statuses(session, sid, ("sent", None, T1), ("undelivered", "30003", T2))
    message = fresh(session, message)
    assert (message.status, message.error_code, message.twilio_sid) == ("undelivered", "30003", sid)
    assert outbox_for(session, message).status == "done"
    assert fresh(session, patient).phone_problem is None
    assert session.scalars(select(QueueItem)).all() == []


@pytest.mark.parametrize("code", ["30001", "30022"])
def test_a_text_that_never_left_twilio_is_sent_again(session, sent, recorder, code):
    message, sid = sent
    _statuses(session, sid, ("failed", code, T1))
    message = fresh(session, message)
    item = outbox_for(session, message)
    assert (message.status, message.twilio_sid) == ("queued", None)
    assert (item.status, item.enqueued_at) == ("pending", None)
    assert item.last_error.startswith(code)
    assert timedelta(seconds=24) <= item.not_before - T1 <= timedelta(seconds=36)
    # A late report about the old attempt matches nothing now.
    assert apply_status(session, sid, "delivered", None, T2) is None

    assert deliver(session, item.id, item.not_before, recorder) == "sent"
    message = fresh(session, message)
    assert len(recorder.sent) == 2
    assert message.twilio_sid == recorder.sent[1].sid != sid
    assert outbox_for(session, message).attempts == 2


def test_a_resend_stops_after_the_last_attempt(session, sent, patient):
    message, sid = sent
    item = outbox_for(session, message)
    item.attempts = MAX_ATTEMPTS
    session.commit()
    _statuses(session, sid, ("failed", "30001", T1))
    assert fresh(session, message).status == "failed"
    assert outbox_for(session, message).status == "failed"
    [queue_item] = session.scalars(select(QueueItem).where(QueueItem.patient_id == patient.id))
    assert "tries" in queue_item.reason


def test_reconcile_asks_twilio_about_texts_stuck_in_sent(session, settings, patient, recorder):
    old = queue_text(session, patient, MORNING)
    new = queue_text(session, patient, MORNING, kind="reminder")
    session.commit()
    deliver(session, outbox_for(session, old).id, MORNING, recorder)
    deliver(session, outbox_for(session, new).id, MORNING + timedelta(hours=5), recorder)
    old_sid = fresh(session, old).twilio_sid
    http = RecordingHttpClient(message_response(old_sid, "delivered", status_code=200))
    sender = TwilioSender.from_settings(settings, http_client=http)

    report = reconcile(session, MORNING + timedelta(hours=25), sender)
    session.commit()
    assert (report.checked, report.updated, report.unknown, report.errors) == (1, 1, 0, 0)
    assert [r.url.rsplit("/", 1)[-1] for r in http.requests] == [f"{old_sid}.json"]
    assert fresh(session, old).status == "delivered"
    assert fresh(session, new).status == "sent"


def test_the_reconcile_job_leaves_texts_it_cannot_ask_about(session, patient, recorder):
    from freezegun import freeze_time

    first = queue_text(session, patient, MORNING)
    second = queue_text(session, patient, MORNING, kind="reminder")
    session.commit()
    for message in (first, second):
        deliver(session, outbox_for(session, message).id, MORNING, recorder)
    recorder.statuses[fresh(session, second).twilio_sid] = SendResult(
        fresh(session, second).twilio_sid, "undelivered", "30005"
    )
    with freeze_time(MORNING + timedelta(days=2)):
        assert reconcile_delivery() == {"checked": 2, "updated": 1, "unknown": 1, "errors": 0}
    assert fresh(session, first).status == "sent"
    assert fresh(session, second).status == "undelivered"
    assert fresh(session, patient).phone_problem is not None
