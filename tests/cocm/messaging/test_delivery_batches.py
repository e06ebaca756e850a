"""Long lists of outbox rows go to RQ as batch jobs (``cocm.messaging.delivery_jobs``): each
message still has its own claim and commits, runs twice harmlessly, and a worker killed half way
through a batch loses nothing (the sweeper finds the rest)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from cocm.messaging import delivery_jobs
from cocm.messaging.delivery import LEASE
from cocm.messaging.delivery_jobs import BATCH, DELIVER_JOB, DELIVER_MANY_JOB, SPREAD
from cocm.messaging.sweeper import STALE_AFTER, claim_due
from cocm.models import OutboxItem
from jobs import messaging as message_jobs
from jobs.messaging import deliver_outbox_many
from tests.cocm.messaging.helpers import MORNING, outbox_for, queue_text, run_worker


def _queued(session, patient, count: int) -> list[int]:
    """``count`` texts to ``patient``, committed with the hook's jobs on the real queue."""
    with freeze_time(MORNING):
        messages = [queue_text(session, patient, MORNING) for _ in range(count)]
        session.commit()
    return [outbox_for(session, message).id for message in messages]


def _statuses(session, ids: list[int]) -> list[str]:
    rows = session.execute(
        select(OutboxItem.id, OutboxItem.status)
        .where(OutboxItem.id.in_(ids))
        .execution_options(populate_existing=True)
    ).all()
    return [dict(rows)[i] for i in ids]


@pytest.mark.parametrize(
    ("count", "queue", "size"),
    [(1, "sms", 1), (15, "sms", 1), (16, "sms", 2), (90, "sms", 11), (5000, "sms", BATCH)],
)
def test_a_list_is_cut_into_batches_that_several_workers_share(count, queue, size):
    ids = list(range(1000, 1000 + count))
    jobs = delivery_jobs.delivery_jobs(ids, queue)
    assert [i for job in jobs for i in (job.args if size == 1 else job.args[0])] == ids
    assert {len(job.args[0]) if size > 1 else 1 for job in jobs} <= set(range(1, size + 1))
    assert len(jobs) >= min(count, SPREAD)
    assert {job.func for job in jobs} == {DELIVER_JOB if size == 1 else DELIVER_MANY_JOB}


def test_the_risk_queue_always_gets_one_job_per_message():
    jobs = delivery_jobs.delivery_jobs(list(range(100)), "risk")
    assert len(jobs) == 100 and {job.func for job in jobs} == {DELIVER_JOB}
    assert {job.timeout for job in jobs} == {delivery_jobs.JOB_TIMEOUT}


def test_a_long_list_goes_as_batch_jobs_and_each_text_once(
    session, patient, sms_queue, redis, recorder
):
    ids = _queued(session, patient, 20)
    jobs = sms_queue.get_jobs()
    assert {job.func_name for job in jobs} == {DELIVER_MANY_JOB}
    assert sorted(i for job in jobs for i in job.args[0]) == ids
    assert {job.timeout for job in jobs} == {delivery_jobs.BATCH_TIMEOUT}

    with freeze_time(MORNING):
        run_worker(redis, "sms")
        # The same batch again (a replayed job) sends nothing more.
        assert deliver_outbox_many(ids) == {"already_done": 20}
    assert len(recorder.sent) == 20
    assert _statuses(session, ids) == ["done"] * 20


def test_a_row_that_fails_does_not_hold_up_the_others(session, patient, recorder, monkeypatch):
    ids = _queued(session, patient, 3)
    real = message_jobs.deliver

    def flaky(session, outbox_id, now, sender):
        if outbox_id == ids[1]:
            raise RuntimeError("database hiccup")
        return real(session, outbox_id, now, sender)

    monkeypatch.setattr(message_jobs, "deliver", flaky)
    with freeze_time(MORNING), pytest.raises(RuntimeError, match=str(ids[1])):
        deliver_outbox_many(ids)
    assert _statuses(session, ids) == ["done", "pending", "done"]
    # Its job is gone; the sweeper finds the row once the job counts as lost.
    assert claim_due(session, MORNING + STALE_AFTER + timedelta(seconds=1)) == [ids[1]]


def test_past_its_budget_a_batch_hands_the_rest_on(
    session, patient, sms_queue, redis, recorder, monkeypatch
):
    ids = _queued(session, patient, 3)
    redis.flushdb()
    monkeypatch.setattr(message_jobs, "BATCH_BUDGET", -1)
    with freeze_time(MORNING):
        assert deliver_outbox_many(ids) == {"handed_on": 3}
    assert recorder.calls == []
    # Three ids are few enough for one job each.
    assert [(job.func_name, job.args) for job in sms_queue.get_jobs()] == [
        (DELIVER_JOB, (outbox_id,)) for outbox_id in ids
    ]
    assert _statuses(session, ids) == ["pending"] * 3


class DiesOnTheSecond:
    """Twilio takes the first text; the worker dies while sending the second."""

    name = "dies-on-the-second"

    def __init__(self, provider):
        self.provider = provider

    def send(self, to, body, **kwargs):
        if self.provider.sent:
            raise SystemExit(137)
        return self.provider.send(to, body, **kwargs)


def test_a_worker_killed_in_the_middle_of_a_batch_loses_nothing(
    session, patient, recorder, monkeypatch
):
    ids = _queued(session, patient, 3)
    monkeypatch.setattr(message_jobs, "get_sender", lambda _settings: DiesOnTheSecond(recorder))
    with freeze_time(MORNING), pytest.raises(SystemExit):
        deliver_outbox_many(ids)
    session.rollback()  # the process is gone
    assert _statuses(session, ids) == ["done", "sending", "pending"]
    assert len(recorder.sent) == 1

    # Once the lease and the staleness limit have passed, the sweeper hands both on; each goes
    # exactly once (the second died before its request left).
    later = MORNING + max(LEASE, STALE_AFTER) + timedelta(seconds=1)
    assert sorted(claim_due(session, later)) == ids[1:]
    session.commit()
    monkeypatch.setattr(message_jobs, "get_sender", lambda _settings: recorder)
    with freeze_time(later):
        assert deliver_outbox_many(ids) == {"already_done": 1, "sent": 2}
    assert _statuses(session, ids) == ["done"] * 3
    assert len(recorder.sent) == 3
