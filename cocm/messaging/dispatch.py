"""After the commit: hand outbox rows to the queue, and send urgent ones at once.

``queue_message`` leaves each new outbox id in ``session.info`` (``PENDING_KEY`` or
``URGENT_KEY``). When the session's outermost transaction commits, ``install()``'s
``after_commit`` hook

- sends the *urgent* ones (risk notices to staff) right there, in this process, through
  ``deliver`` in a fresh session: they never wait on a queue. A transient failure leaves the row
  for the sweeper (with backoff); an unexpected error puts a job on the ``risk`` queue;
- enqueues delivery jobs (``cocm.messaging.delivery_jobs``) on the ``sms`` queue for the others and
  records ``enqueued_at``. If Redis is down it logs a warning (ids only, no PHI) and leaves the
  rows alone: the sweeper (``jobs.messaging.sweep_outbox``) finds rows never enqueued.

A rolled-back transaction enqueues nothing: the keys are dropped when the outermost transaction
ends without a commit (``after_transaction_end``: rollback or close). A released SAVEPOINT
(``begin_nested``) is not the commit: its ids wait for the outer commit. (In the test suite the
session's own commits are SAVEPOINT releases inside an outer transaction, but to the session they
are its outermost commits, so the hook runs there exactly as in production.)

The hook is installed on ``cocm.db.session_factory`` when ``cocm.messaging.outbox`` is imported,
so it is there in every process that can queue a message; ``install()`` is idempotent.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry
from rq import Queue
from sqlalchemy import event, update
from sqlalchemy.exc import SQLAlchemyError

from cocm import db
from cocm.clock import utcnow
from cocm.messaging.delivery_jobs import JOB_TIMEOUT, delivery_jobs
from cocm.messaging.keys import PENDING_KEY, URGENT_KEY

log = logging.getLogger(__name__)

SMS_QUEUE = "sms"
URGENT_FALLBACK_QUEUE = "risk"

QueueFactory = Callable[[str], Queue]
_queue_factory: QueueFactory | None = None


@lru_cache(maxsize=4)
def _fast_connection(url: str) -> Redis:
    # No retries and short timeouts: this runs right after a web request's commit, and with
    # Redis down the right answer is "leave it for the sweeper" now, not after seconds of retries.
    return Redis.from_url(
        url, socket_connect_timeout=1, socket_timeout=3, retry=Retry(NoBackoff(), 0)
    )


def queue_on(url: str, name: str) -> Queue:
    """Queue ``name`` on the Redis at ``url``, failing fast when it does not answer."""
    return Queue(name, connection=_fast_connection(url), default_timeout=JOB_TIMEOUT)


def _default_queue(name: str) -> Queue:
    from cocm import redis_queue

    return queue_on(redis_queue.redis_url(), name)


def set_queue_factory(factory: QueueFactory | None) -> QueueFactory | None:
    """Use ``factory(name) -> rq.Queue`` for the hook's queues (None: ``cocm.redis_queue``).
    Returns the previous one. For tests that point a queue at an unreachable Redis."""
    global _queue_factory
    previous, _queue_factory = _queue_factory, factory
    return previous


@contextmanager
def use_queue_factory(factory: QueueFactory | None) -> Iterator[None]:
    previous = set_queue_factory(factory)
    try:
        yield
    finally:
        set_queue_factory(previous)


def get_queue(name: str = SMS_QUEUE) -> Queue:
    return (_queue_factory or _default_queue)(name)


def enqueue_deliveries(ids: Sequence[int], queue_name: str = SMS_QUEUE) -> bool:
    """The delivery jobs for ``ids`` (``cocm.messaging.delivery_jobs``: one per id for a few,
    batches for many), in one round trip. False if Redis could not take them."""
    if not ids:
        return True
    try:
        queue = get_queue(queue_name)
        queue.enqueue_many(delivery_jobs(ids, queue_name))
    except (RedisError, OSError) as exc:
        log.warning(
            "Redis unavailable (%s): %d outbox row(s) left for the sweeper: %s",
            type(exc).__name__,
            len(ids),
            ",".join(str(i) for i in ids),
        )
        return False
    return True


MARK_SLICE = 5_000


def mark_enqueued(ids: Sequence[int]) -> None:
    """Record when the jobs were enqueued (the sweeper re-enqueues rows whose job was lost)."""
    from cocm.models import OutboxItem

    ids = list(ids)
    try:
        with db.session_factory() as session:
            now = utcnow()
            # In slices: PostgreSQL takes at most 65,535 parameters in one statement, and the
            # morning's dispatch can enqueue 100,000 rows after one commit.
            for start in range(0, len(ids), MARK_SLICE):
                session.execute(
                    update(OutboxItem)
                    .where(
                        OutboxItem.id.in_(ids[start : start + MARK_SLICE]),
                        OutboxItem.status == "pending",
                    )
                    .values(enqueued_at=now)
                    .execution_options(synchronize_session=False)
                )
            session.commit()
    except SQLAlchemyError as exc:
        # Harmless: the rows look never enqueued and the sweeper enqueues them again.
        log.warning(
            "could not record enqueued_at for %d outbox rows: %s", len(ids), type(exc).__name__
        )


def deliver_now(ids: Sequence[int]) -> None:
    """Deliver urgent rows in this process, each in a fresh session; never raises."""
    from cocm.config import get_settings
    from cocm.messaging.delivery import deliver
    from cocm.messaging.senders import get_sender

    leftovers: list[int] = []
    try:
        sender = get_sender(get_settings())
    except Exception as exc:  # noqa: BLE001 - the commit already happened; never break it
        log.error("no SMS sender for urgent outbox %s: %s", list(ids), type(exc).__name__)
        enqueue_deliveries(list(ids), URGENT_FALLBACK_QUEUE)
        return
    for outbox_id in ids:
        try:
            with db.session_factory() as session:
                outcome = deliver(session, outbox_id, utcnow(), sender)
            log.info("urgent outbox %s: %s", outbox_id, outcome)
        except Exception as exc:  # noqa: BLE001 - as above
            log.error("urgent outbox %s not delivered: %s", outbox_id, type(exc).__name__)
            leftovers.append(outbox_id)
    if leftovers:
        enqueue_deliveries(leftovers, URGENT_FALLBACK_QUEUE)


def _after_commit(session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a SAVEPOINT was released; the outer transaction may still roll back
    urgent = session.info.pop(URGENT_KEY, None)
    pending = session.info.pop(PENDING_KEY, None)
    try:
        if urgent:
            deliver_now(urgent)
        if pending and enqueue_deliveries(pending):
            mark_enqueued(pending)
    except Exception as exc:  # noqa: BLE001 - a failed hook must not turn a commit into an error
        log.error("after-commit dispatch failed: %s", type(exc).__name__)


def _after_transaction_end(session, transaction) -> None:
    # The outermost transaction ended without the hook taking the ids (rollback, close):
    # forget them. A rolled-back SAVEPOINT keeps the outer transaction's ids; a row it removed is
    # simply "missing" when its job runs.
    if transaction.parent is None:
        _forget(session)


def _forget(session) -> None:
    session.info.pop(PENDING_KEY, None)
    session.info.pop(URGENT_KEY, None)


_LISTENERS = (
    ("after_commit", _after_commit),
    ("after_transaction_end", _after_transaction_end),
)


def install(target=None) -> None:
    """Register the hooks on ``target`` (default ``cocm.db.session_factory``); idempotent."""
    target = target if target is not None else db.session_factory
    for name, listener in _LISTENERS:
        if not event.contains(target, name, listener):
            event.listen(target, name, listener)


def uninstall(target=None) -> None:
    target = target if target is not None else db.session_factory
    for name, listener in _LISTENERS:
        if event.contains(target, name, listener):
            event.remove(target, name, listener)
