"""The RQ jobs that deliver outbox rows: which job, how many ids each, and their timeouts.

Every job takes outbox ids and calls ``cocm.messaging.delivery.deliver`` once per id, so each
message keeps its own claim and its own two commits whatever job carries it.

- ``jobs.messaging.deliver_outbox(outbox_id)``: one message. Used for a handful of ids (a web
  request's texts, where the latency of one job is the latency of the text) and always on the
  ``risk`` queue (risk notices whose in-process send failed);
- ``jobs.messaging.deliver_outbox_many(outbox_ids)``: up to ``BATCH`` messages one after the
  other, for long lists (the dispatcher's thousands of check-ins, the sweeper's 500): RQ's own
  cost, about twenty Redis round trips a job, is then paid once per batch instead of once per
  message. A list is cut into at least ``SPREAD`` jobs so that several workers share it.

A batch job stops taking new ids after ``BATCH_BUDGET`` seconds and hands the rest on in a new
job, so its RQ timeout (``BATCH_TIMEOUT``) never falls in the middle of a send. A worker killed
during a batch loses nothing: the row in hand stays "sending" until its lease ends, the rows not
yet reached stay "pending", and the sweeper re-enqueues both (``cocm.messaging.sweeper``).
"""

from __future__ import annotations

from collections.abc import Sequence

from rq import Queue
from rq.queue import EnqueueData

DELIVER_JOB = "jobs.messaging.deliver_outbox"
DELIVER_MANY_JOB = "jobs.messaging.deliver_outbox_many"
JOB_TIMEOUT = 60  # seconds; one Twilio call is bounded by TWILIO_TIMEOUT_SECONDS
BATCH = 50
SPREAD = 8
BATCH_BUDGET = 30  # seconds of sending before a batch hands its remaining ids on
# The budget, plus the one send that may start at its very end.
BATCH_TIMEOUT = BATCH_BUDGET + JOB_TIMEOUT
SINGLE_QUEUES = frozenset({"risk"})


def batch_size(count: int, queue_name: str) -> int:
    """Ids per job for a list of ``count`` ids on ``queue_name``: 1 on the risk queue and for
    short lists, up to ``BATCH`` for long ones, and never fewer than ``SPREAD`` jobs."""
    if queue_name in SINGLE_QUEUES:
        return 1
    return max(1, min(BATCH, count // SPREAD))


def delivery_jobs(ids: Sequence[int], queue_name: str) -> list[EnqueueData]:
    """The jobs delivering ``ids`` (in their order), for ``Queue.enqueue_many``."""
    ids = list(ids)
    size = batch_size(len(ids), queue_name)
    if size == 1:
        return [
            Queue.prepare_data(
                DELIVER_JOB,
                args=(outbox_id,),
                timeout=JOB_TIMEOUT,
                description=f"deliver outbox {outbox_id}",
            )
            for outbox_id in ids
        ]
    return [
        Queue.prepare_data(
            DELIVER_MANY_JOB,
            args=(ids[start : start + size],),
            timeout=BATCH_TIMEOUT,
            description=f"deliver {len(ids[start : start + size])} outbox rows from {ids[start]}",
        )
        for start in range(0, len(ids), size)
    ]
