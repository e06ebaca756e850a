"""The same webhook delivered five times, out of order with status callbacks (DESIGN section 6).

Twilio retries a webhook it did not see answered, and its status callbacks arrive in any order:
one inbound row, one answer, one reply, the same TwiML every time, and statuses that only move
forward.
"""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from cocm import db
from cocm.messaging.delivery import deliver
from cocm.messaging.dispatch import use_queue_factory
from cocm.messaging.status import rank
from cocm.models import Assessment, AssessmentAnswer, Conversation, Message, OutboxItem
from tests.patient_app.twilio.helpers import (
    ACCOUNT,
    CLINIC_NUMBER,
    PATIENT_PHONE,
    T0,
    build_world,
    inbound_params,
    new_sid,
    post_signed,
    replies,
    start,
)
from tests.proof.conftest import dead_queue, scratch_app_database


@pytest.fixture
def world(session):
    built = build_world()
    session.commit()
    return built


def _status_params(sid: str, status: str) -> dict:
    return {
        "AccountSid": ACCOUNT,
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "From": CLINIC_NUMBER,
        "To": PATIENT_PHONE,
        "ApiVersion": "2010-04-01",
    }


def _message(sid: str) -> Message:
    return db.Session.scalars(
        select(Message).where(Message.twilio_sid == sid).execution_options(populate_existing=True)
    ).one()


@freeze_time(T0)
def test_a_webhook_five_times_among_scrambled_callbacks(world, patient_app, recorder, redis):
    client = patient_app.test_client()
    conversation_id = start(world)
    [item_id] = db.Session.scalars(select(OutboxItem.id)).all()
    assert deliver(db.Session(), item_id, T0, recorder) == "sent"
    [opening] = recorder.sent
    assert _message(opening.sid).status == "sent"

    inbound_sid = new_sid()
    answer = inbound_params("2", PATIENT_PHONE, CLINIC_NUMBER, sid=inbound_sid)
    callbacks = ["delivered", "sent", "queued", "delivered", "sent"]
    deliveries = [("sms", answer)] * 5 + [
        ("status", _status_params(opening.sid, s)) for s in callbacks
    ]
    random.Random(20261127).shuffle(deliveries)

    bodies, seen = [], []
    for path, params in deliveries:
        response = post_signed(client, f"/twilio/{path}", params)
        assert response.status_code == 200, response.data
        if path == "sms":
            bodies.append(response.data)
        seen.append(rank(_message(opening.sid).status))
    assert seen == sorted(seen), "a status moved backwards"
    assert _message(opening.sid).status == "delivered"

    assert len(set(bodies)) == 1
    [reply] = replies(post_signed(client, "/twilio/sms", answer))
    assert reply.startswith("(2/9)")

    inbound = db.Session.scalars(select(Message).where(Message.twilio_sid == inbound_sid)).all()
    assert len(inbound) == 1 and inbound[0].direction == "inbound"
    outbound_replies = db.Session.scalar(
        select(func.count())
        .select_from(Message)
        .where(Message.direction == "outbound", Message.kind == "next_item")
    )
    assert outbound_replies == 1
    conversation = db.Session.get(Conversation, conversation_id, populate_existing=True)
    answers = db.Session.scalars(
        select(AssessmentAnswer).where(AssessmentAnswer.assessment_id == conversation.assessment_id)
    ).all()
    assert [(a.item_number, a.value) for a in answers] == [(1, 2)]
    assessment = db.Session.get(Assessment, conversation.assessment_id)
    assert assessment.status == "in_progress"
    assert len(recorder.calls) == 1  # nothing was sent again


@freeze_time(T0)
def test_late_failure_and_replayed_callbacks_never_undo_delivered(
    world, patient_app, recorder, redis
):
    client = patient_app.test_client()
    start(world)
    [item_id] = db.Session.scalars(select(OutboxItem.id)).all()
    deliver(db.Session(), item_id, T0, recorder)
    sid = recorder.sent[0].sid
    order = ["sent", "delivered", "undelivered", "failed", "sent", "queued", "delivered"]
    for status in order:
        params = _status_params(sid, status)
        if status in ("undelivered", "failed"):
            params["ErrorCode"] = "30003"
        assert post_signed(client, "/twilio/status", params).status_code == 200
    message = _message(sid)
    assert message.status == "delivered" and message.error_code is None
    # Callbacks for a message nobody knows are answered and change nothing.
    unknown = _status_params(new_sid(), "delivered")
    assert replies(post_signed(client, "/twilio/status", unknown)) == []
    assert db.Session.scalar(select(func.count()).select_from(Message)) == 1


def test_five_copies_at_the_same_moment(settings, engine, tmp_path):
    """Twilio's retry can race the original: five copies in five threads, real commits."""
    from patient_app import create_app

    with (
        scratch_app_database(settings, tmp_path, "replays") as scratch,
        use_queue_factory(dead_queue),
    ):
        world = build_world()
        db.Session.commit()
        start(world, now=datetime.now(UTC))
        patient_id = world.patient_id
        db.Session.remove()
        app = create_app(scratch)
        inbound_sid = new_sid()
        answer = inbound_params("2", PATIENT_PHONE, CLINIC_NUMBER, sid=inbound_sid)
        barrier = threading.Barrier(5)
        responses: list = []

        def deliver_copy() -> None:
            client = app.test_client()
            barrier.wait(10)
            responses.append(post_signed(client, "/twilio/sms", answer))

        threads = [threading.Thread(target=deliver_copy) for _ in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert len(responses) == 5
        # A copy that lost the race may be told 503 (its insert met the winner's unique sid):
        # Twilio then retries it, and the retry gets the stored answer.
        assert {r.status_code for r in responses} <= {200, 503}
        bodies = {r.data for r in responses if r.status_code == 200}
        retried = post_signed(app.test_client(), "/twilio/sms", answer)
        bodies.add(retried.data)
        assert len(bodies) == 1
        assert replies(retried)[0].startswith("(2/9)")

        session = db.Session()
        inbound = session.scalars(select(Message).where(Message.direction == "inbound")).all()
        assert [m.twilio_sid for m in inbound] == [inbound_sid]
        kinds = session.scalars(
            select(Message.kind).where(Message.direction == "outbound").order_by(Message.id)
        ).all()
        assert kinds == ["checkin_open", "next_item"]
        answers = session.scalars(select(AssessmentAnswer)).all()
        assert [(a.item_number, a.value) for a in answers] == [(1, 2)]
        assert session.get(Conversation, inbound[0].conversation_id).patient_id == patient_id
        db.Session.remove()
