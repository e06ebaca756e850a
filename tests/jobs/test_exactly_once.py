"""Two cron processes and two RQ workers at once over 500 due patients: one check-in each.

Real processes on a scratch database with real commits, and the real Redis of the test run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, insert, select

from cocm import redis_queue
from cocm.db import make_engine
from cocm.models import (
    Clinic,
    Conversation,
    Episode,
    MeasurementSchedule,
    Message,
    OutboxItem,
    Patient,
)
from tests.support.scratch import migrate, scratch_database

ROOT = Path(__file__).resolve().parents[2]
PATIENTS = 500


def zone_where_it_is_midday(now: datetime) -> str:
    """A fixed-offset zone in which ``now`` is early afternoon, so the window is open."""
    offset = (13 - now.hour + 12) % 24 - 12
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT{-offset:+d}"  # the Etc names have the sign reversed


@pytest.fixture
def scratch_url(settings, redis, tmp_path):
    url, drop = scratch_database(settings.database_url, tmp_path, "jobs")
    migrate(url)
    yield url
    drop()


def _seed(url: str, now: datetime) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        clinic_id = connection.execute(
            insert(Clinic).returning(Clinic.id),
            [
                {
                    "slug": "busy",
                    "name": "Busy Clinic",
                    "sms_number": "+15005550006",
                    "timezone": zone_where_it_is_midday(now),
                    "created_at": now,
                }
            ],
        ).scalar_one()
        connection.execute(
            insert(Patient),
            [
                {
                    "clinic_id": clinic_id,
                    "mrn": f"M{n:05d}",
                    "first_name": "Pat",
                    "last_name": f"Number{n}",
                    "phone_e164": f"+1202555{n:04d}",
                    "language": "en",
                    "sms_opted_out": False,
                    "sms_consent_at": now,
                    "created_at": now,
                }
                for n in range(PATIENTS)
            ],
        )
        patient_ids = connection.scalars(select(Patient.id)).all()
        connection.execute(
            insert(Episode),
            [
                {
                    "patient_id": pid,
                    "program": "cocm",
                    "status": "active",
                    "started_on": date(2026, 1, 5),
                    "consent_on": date(2026, 1, 5),
                    "created_at": now,
                }
                for pid in patient_ids
            ],
        )
        episode_ids = connection.scalars(select(Episode.id)).all()
        connection.execute(
            insert(MeasurementSchedule),
            [
                {
                    "episode_id": eid,
                    "instrument": "PHQ-9",
                    "active": True,
                    "next_due_at": now - timedelta(minutes=5),
                }
                for eid in episode_ids
            ],
        )
    engine.dispose()


def _env(settings, url: str) -> dict[str, str]:
    return {
        **os.environ,
        "COCM_ENV": "test",
        "COCM_INSTANCE_PATH": str(settings.instance_path),
        "DATABASE_URL": url,
        "REDIS_URL": redis_queue.redis_url(settings),
        "SECRET_KEY": settings.secret_key,
        "PUBLIC_BASE_URL": settings.public_base_url,
        "SMS_TRANSPORT": "console",
        "LOG_LEVEL": "WARNING",
    }


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _finish(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        output, _ = process.communicate(timeout=240)
        assert process.returncode == 0, output.decode()[-3000:]


def test_two_cron_processes_and_two_workers_start_one_checkin_each(settings, scratch_url):
    now = datetime.now(UTC)
    _seed(scratch_url, now)
    env = _env(settings, scratch_url)
    cron = "from jobs.periodic import dispatch_due_checkins as run; print(run())"
    _finish([_spawn(["-c", cron], env), _spawn(["-c", cron], env)])
    _finish([_spawn(["-m", "jobs.worker", "--burst"], env) for _ in range(2)])

    engine = make_engine(scratch_url)
    with engine.connect() as connection:
        per_patient = connection.execute(
            select(Conversation.patient_id, func.count()).group_by(Conversation.patient_id)
        ).all()
        assert len(per_patient) == PATIENTS
        assert {count for _, count in per_patient} == {1}
        assert connection.scalar(select(func.count()).select_from(OutboxItem)) == PATIENTS
        statuses = dict(
            connection.execute(
                select(OutboxItem.status, func.count()).group_by(OutboxItem.status)
            ).all()
        )
        assert statuses == {"done": PATIENTS}
        sent = connection.execute(
            select(Message.patient_id, func.count())
            .where(Message.direction == "outbound")
            .group_by(Message.patient_id)
        ).all()
        assert len(sent) == PATIENTS and {count for _, count in sent} == {1}
    engine.dispose()
