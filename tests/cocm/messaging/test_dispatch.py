"""After the commit: a job on the real Redis `sms` queue, nothing after a rollback, urgent pages
sent at once, and with Redis down the row waits for the sweeper, which sends it exactly once."""

from __future__ import annotations

import logging
from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import event, select

from cocm import db
from cocm.messaging import dispatch
from cocm.messaging.errors import TransientSendError
from cocm.messaging.keys import PENDING_KEY, URGENT_KEY
from cocm.models import Message, OutboxItem
from jobs.messaging import sweep_outbox
from tests.cocm.messaging.helpers import (
    MORNING,
    fresh,
    outbox_for,
    page_staff,
    queue_text,
    run_worker,
)


def test_the_commit_enqueues_a_delivery_job_on_the_sms_queue(
    session, patient, sms_queue, redis, recorder
):
    with freeze_time(MORNING):
        message = queue_text(session, patient, MORNING)
        assert sms_queue.count == 0  # nothing before the commit
        session.commit()
    [job] = sms_queue.get_jobs()
    item = outbox_for(session, message)
    assert (job.func_name, job.args) == ("jobs.messaging.deliver_outbox", (item.id,))
    assert job.timeout == dispatch.JOB_TIMEOUT
    assert "+1202" not in job.description
    assert item.enqueued_at == MORNING
    assert PENDING_KEY not in session.info
    assert recorder.calls == []  # queued, not sent inline

    with freeze_time(MORNING):
        run_worker(redis, "sms")
    assert [call.to for call in recorder.sent] == ["+12025550142"]
    assert outbox_for(session, message).status == "done"
    assert fresh(session, message).status == "sent"


def test_a_rollback_enqueues_nothing(session, patient, sms_queue, recorder):
    queue_text(session, patient, MORNING)
    session.rollback()
    assert PENDING_KEY not in session.info
    session.commit()
    assert sms_queue.count == 0
    assert session.scalars(select(OutboxItem)).all() == []


def test_a_released_savepoint_waits_for_the_outer_commit(session, patient, sms_queue):
    nested = session.begin_nested()
    message = queue_text(session, patient, MORNING)
    nested.commit()
    assert sms_queue.count == 0
    assert session.info[PENDING_KEY] == [outbox_for(session, message).id]
    session.commit()
    assert sms_queue.count == 1


def test_ids_from_a_rolled_back_savepoint_do_no_harm(session, patient, sms_queue, redis, recorder):
    kept = queue_text(session, patient, MORNING)
    nested = session.begin_nested()
    queue_text(session, patient, MORNING, kind="reminder")
    nested.rollback()
    session.commit()
    assert sms_queue.count == 2
    with freeze_time(MORNING):
        run_worker(redis, "sms")
    assert [call.body for call in recorder.sent] == [kept.body]


def test_urgent_pages_are_delivered_right_after_the_commit(session, clinic, on_call, sms_queue):
    recorder = dispatch_sender()
    with freeze_time(MORNING):
        message = page_staff(session, clinic, on_call, MORNING)
        assert recorder.calls == []
        session.commit()
    assert [call.to for call in recorder.sent] == ["+12025550199"]
    assert URGENT_KEY not in session.info
    assert sms_queue.count == 0  # never waited on a queue
    assert outbox_for(session, message).status == "done"
    assert fresh(session, message).twilio_sid == recorder.sent[0].sid


def test_an_urgent_page_that_hits_a_transient_error_waits_for_the_sweeper(
    session, clinic, on_call, redis
):
    recorder = dispatch_sender()
    recorder.script(TransientSendError("20429", "Too Many Requests"))
    with freeze_time(MORNING):
        message = page_staff(session, clinic, on_call, MORNING)
        session.commit()
    item = outbox_for(session, message)
    assert (item.status, item.attempts) == ("pending", 1)
    with freeze_time(item.not_before):
        assert sweep_outbox() == {"enqueued": 1, "delivered": 0}
        run_worker(redis, "sms")
    assert len(recorder.sent) == 1
    assert outbox_for(session, message).status == "done"


def test_with_redis_down_the_row_waits_and_the_sweeper_sends_it_exactly_once(
    session, patient, sms_queue, redis, recorder, dead_queue_factory, caplog
):
    with (
        freeze_time(MORNING),
        dispatch.use_queue_factory(dead_queue_factory),
        caplog.at_level(logging.WARNING, logger="cocm.messaging.dispatch"),
    ):
        message = queue_text(session, patient, MORNING)
        session.commit()  # the commit itself succeeds
    item = outbox_for(session, message)
    assert (item.status, item.enqueued_at) == ("pending", None)
    [warning] = [r for r in caplog.records if r.name == "cocm.messaging.dispatch"]
    assert "left for the sweeper" in warning.getMessage()
    assert str(item.id) in warning.getMessage()
    assert "0142" not in warning.getMessage() and message.body not in warning.getMessage()
    assert sms_queue.count == 0 and recorder.calls == []

    with freeze_time(MORNING):
        assert sweep_outbox() == {"enqueued": 1, "delivered": 0}
        assert sweep_outbox() == {"enqueued": 0, "delivered": 0}  # already taken
    assert outbox_for(session, message).enqueued_at == MORNING
    assert sms_queue.count == 1
    with freeze_time(MORNING):
        run_worker(redis, "sms")
        assert sweep_outbox() == {"enqueued": 0, "delivered": 0}
        run_worker(redis, "sms")
    assert len(recorder.calls) == 1
    assert outbox_for(session, message).status == "done"


def test_a_sweeper_that_cannot_reach_redis_delivers_itself(
    session, patient, recorder, dead_queue_factory
):
    with dispatch.use_queue_factory(dead_queue_factory), freeze_time(MORNING):
        first = queue_text(session, patient, MORNING)
        second = queue_text(session, patient, MORNING, kind="reminder")
        session.commit()
        assert sweep_outbox() == {"enqueued": 0, "delivered": 2}
        assert sweep_outbox() == {"enqueued": 0, "delivered": 0}
    assert len(recorder.calls) == 2
    assert {outbox_for(session, m).status for m in (first, second)} == {"done"}


def test_the_sweeper_finds_lost_jobs_and_dead_workers_but_not_fresh_ones(session, patient, redis):
    with freeze_time(MORNING):
        lost, recent, dead = (queue_text(session, patient, MORNING) for _ in range(3))
        session.commit()  # all three enqueued at MORNING
    redis.flushdb()  # ... and the jobs lost
    item = outbox_for(session, dead)
    item.status, item.attempts, item.locked_until = "sending", 1, MORNING + timedelta(minutes=5)
    outbox_for(session, recent).enqueued_at = MORNING + timedelta(minutes=8)
    session.commit()

    def swept(minutes):
        with freeze_time(MORNING + timedelta(minutes=minutes)):
            before = {m.id: outbox_for(session, m).enqueued_at for m in (lost, recent, dead)}
            assert sweep_outbox()["delivered"] == 0
            after = {m.id: outbox_for(session, m).enqueued_at for m in (lost, recent, dead)}
        return {message_id for message_id in after if after[message_id] != before[message_id]}

    assert swept(4) == set()  # nothing stale yet, the lease still runs
    assert swept(9) == {dead.id}  # the dead worker's lease ran out
    assert swept(11) == {lost.id}  # enqueued 11 minutes ago and never run
    assert swept(17) == set()
    assert swept(19) == {recent.id}


def test_the_hook_is_installed_on_the_session_factory():
    from sqlalchemy import event

    assert event.contains(db.session_factory, "after_commit", dispatch._after_commit)
    dispatch.install()  # idempotent
    session = db.session_factory()
    try:
        assert isinstance(session, db.session_factory.class_)
    finally:
        session.close()


def test_messages_written_outside_the_outbox_are_not_dispatched(session, patient, sms_queue):
    session.add(
        Message(
            direction="inbound",
            patient_id=patient.id,
            clinic_id=patient.clinic_id,
            body="hello",
            status="received",
            created_at=MORNING,
        )
    )
    session.commit()
    assert sms_queue.count == 0


def dispatch_sender():
    """The sender the hook uses in tests (settings say `recording`)."""
    from cocm.config import get_settings
    from cocm.messaging.senders import get_sender

    return get_sender(get_settings())


def test_enqueued_times_are_written_in_slices(session, patient, monkeypatch):
    # PostgreSQL refuses more than 65,535 parameters in one statement: 100,000 ids after one
    # commit must go in several UPDATEs, and every row still gets its time.
    monkeypatch.setattr(dispatch, "MARK_SLICE", 2)
    messages = [queue_text(session, patient, MORNING) for _ in range(5)]
    session.flush()
    ids = [outbox_for(session, m).id for m in messages]
    updates: list[str] = []

    def seen(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("UPDATE"):
            updates.append(statement)

    engine = session.get_bind().engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        with freeze_time(MORNING):
            dispatch.mark_enqueued(ids)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(updates) == 3
    assert all(outbox_for(session, m).enqueued_at == MORNING for m in messages)
