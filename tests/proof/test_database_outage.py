"""The database goes away under load (DESIGN section 6: a text that could not be stored gets 503,
never 200, so Twilio's retry takes it; nothing is half written).

PostgreSQL: the machine's server is shared, so it is not restarted; instead every backend of the
app's scratch database is terminated from an admin connection, which is what the app sees of a
restart. SQLite: another connection holds the write lock past a tiny busy timeout.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from datetime import UTC, datetime

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from cocm import db
from cocm.checkins import start_checkin
from cocm.messaging.dispatch import enqueue_deliveries, queue_on, use_queue_factory
from cocm.messaging.outbox import queue_message
from cocm.models import (
    Assessment,
    AssessmentAnswer,
    Clinic,
    Conversation,
    Message,
    OutboxItem,
    Staff,
)
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory, staff_with_role
from tests.patient_app.twilio.helpers import inbound_params, new_sid, post_signed
from tests.proof.conftest import dead_queue, scratch_app_database, zone_where_it_is_midday

ON_POSTGRESQL = (os.environ.get("DATABASE_URL") or "").startswith("postgresql")
CLINIC_NUMBER = "+15005550177"
PATIENTS = 6
RESTARTS = 5
ANSWERS = "111111110"  # PHQ-9 item 9 answered 0: no page, total 8
TERMINATE = text(
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def _seed(patients: int) -> list[tuple[int, str]]:
    """A clinic whose patients each have a PHQ-9 by text open; returns (patient id, phone)."""
    now = datetime.now(UTC)
    clinic = ClinicFactory(sms_number=CLINIC_NUMBER, timezone=zone_where_it_is_midday(now))
    manager = staff_with_role(clinic, "care_manager", phone="+12025550181")
    people = []
    for n in range(patients):
        patient = PatientFactory(
            clinic=clinic, care_manager_id=manager.id, phone_e164=f"+1202555{7000 + n:04d}"
        )
        EpisodeFactory(patient=patient)
        start_checkin(db.Session(), patient, "PHQ-9", now)
        people.append((patient.id, patient.phone_e164))
    db.Session.commit()
    db.Session.remove()
    return people


def _unbroken(response) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code in (200, 503), (response.status_code, body[:500])
    assert "Traceback" not in body and "Internal Server Error" not in body
    if response.status_code == 503:
        assert response.headers.get("Retry-After")


def _consistent(connection) -> dict[int, tuple[str, int | None, int]]:
    """Every assessment whole: completed ones have all nine answers and a total, in-progress
    ones exactly the answers their conversation has recorded. Returns id -> (status, total, n)."""
    counts = dict(
        connection.execute(
            select(AssessmentAnswer.assessment_id, func.count()).group_by(
                AssessmentAnswer.assessment_id
            )
        ).all()
    )
    states = dict(connection.execute(select(Conversation.assessment_id, Conversation.state)).all())
    found = {}
    for row in connection.execute(select(Assessment.id, Assessment.status, Assessment.total)):
        answered = counts.get(row.id, 0)
        if row.status == "completed":
            assert row.total is not None and answered == 9, row
        else:
            assert row.total is None, row
            recorded = [a for a in (states.get(row.id) or {}).get("answers", []) if a is not None]
            assert answered == len(recorded), (row, recorded)
        found[row.id] = (row.status, row.total, answered)
    return found


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="PostgreSQL only (backends terminated from an admin connection); "
    "test_sqlite_locked_database_answers_503_and_stores_nothing is the SQLite equivalent",
)
def test_postgresql_restart_under_load(settings, engine, tmp_path, private_redis, recorder):
    from patient_app import create_app

    with (
        scratch_app_database(settings, tmp_path, "restart") as scratch,
        use_queue_factory(dead_queue),
    ):
        people = _seed(PATIENTS)
        app = create_app(scratch)  # not TESTING: an unhandled error would be a real 500
        admin = create_engine(make_url(scratch.database_url), poolclass=NullPool)

        def kill() -> int:
            with admin.connect() as connection:
                return connection.execute(TERMINATE).scalar_one()

        # 1. A request in flight: its transaction has stored the text and is writing the answer
        # when the server goes; it gets 503 and leaves nothing behind.
        _, first_phone = people[0]
        reached, killed = threading.Event(), threading.Event()
        victim: list[threading.Thread] = []

        @event.listens_for(db.get_engine(), "before_cursor_execute")
        def _pause(conn, cursor, statement, parameters, context, executemany):
            mine = bool(victim) and threading.current_thread() is victim[0]
            if mine and statement.lstrip().upper().startswith("INSERT INTO ASSESSMENT_ANSWERS"):
                reached.set()
                killed.wait(10)

        sid = new_sid()
        params = inbound_params("1", first_phone, CLINIC_NUMBER, sid=sid)
        answers: list = []
        victim.append(
            threading.Thread(
                target=lambda: answers.append(post_signed(app.test_client(), "/twilio/sms", params))
            )
        )
        victim[0].start()
        assert reached.wait(10), "the request never reached the answer insert"
        assert kill() >= 1
        killed.set()
        victim[0].join(10)
        event.remove(db.get_engine(), "before_cursor_execute", _pause)
        [in_flight] = answers
        _unbroken(in_flight)
        assert in_flight.status_code == 503
        with admin.connect() as connection:
            assert connection.scalar(select(Message.id).where(Message.twilio_sid == sid)) is None
            assert connection.scalar(select(func.count()).select_from(AssessmentAnswer)) == 0
        # Twilio's retry of the same webhook is stored, once (pool_pre_ping replaced the
        # dead connection).
        retried = post_signed(app.test_client(), "/twilio/sms", params)
        assert retried.status_code == 200 and b"(2/9)" in retried.data

        # 2. Load: one thread per patient answers the whole PHQ-9, retrying on 503 with the same
        # MessageSid as Twilio does, while the server "restarts" several times.
        statuses: list[int] = []
        failures: list[BaseException] = []

        def patient_phone(index: int, phone: str) -> None:
            client = app.test_client()
            try:
                for value in ANSWERS[1 if index == 0 else 0 :]:
                    params = inbound_params(value, phone, CLINIC_NUMBER, sid=new_sid())
                    for _ in range(100):
                        response = post_signed(client, "/twilio/sms", params)
                        _unbroken(response)
                        statuses.append(response.status_code)
                        if response.status_code == 200:
                            break
                        time.sleep(0.01)
                    else:
                        raise AssertionError("100 tries in a row answered 503")
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                failures.append(exc)

        threads = [
            threading.Thread(target=patient_phone, args=(index, phone))
            for index, (_, phone) in enumerate(people)
        ]
        for thread in threads:
            thread.start()
        terminated = 0
        for _ in range(RESTARTS):
            time.sleep(0.15)
            if not any(thread.is_alive() for thread in threads):
                break
            terminated += kill()
        for thread in threads:
            thread.join(60)
        assert not failures, failures[0]
        assert terminated >= 1
        assert statuses.count(200) == PATIENTS * 9 - 1

        with admin.connect() as connection:
            found = _consistent(connection)
            assert sorted(found.values()) == [("completed", 8, 9)] * PATIENTS
            per_patient = dict(
                connection.execute(
                    select(Message.patient_id, func.count())
                    .where(Message.direction == "inbound")
                    .group_by(Message.patient_id)
                ).all()
            )
            assert per_patient == {patient_id: 9 for patient_id, _ in people}

        # 3. A worker after the restart: its pooled connections are dead, its jobs still run.
        manager = db.Session.scalars(select(Staff)).one()
        clinic = db.Session.scalars(select(Clinic)).one()
        for n in range(3):
            queue_message(
                db.Session(),
                clinic=clinic,
                staff=manager,
                kind="staff_page",
                body=f"Item {n} in the care team queue: https://cocm.example.org/staff/queue",
                now=datetime.now(UTC),
            )
        db.Session.commit()  # the hook cannot reach Redis: the rows wait for the sweeper
        db.Session.remove()
        assert kill() >= 1
        path, server = private_redis
        with use_queue_factory(lambda name: queue_on(f"unix://{server.socket_file}", name)):
            with admin.connect() as connection:
                pending = connection.scalars(
                    select(OutboxItem.id).where(OutboxItem.status == "pending")
                ).all()
            assert len(pending) == 3
            assert enqueue_deliveries(pending)
            SimpleWorker([Queue("sms", connection=server)], connection=server).work(burst=True)
        with admin.connect() as connection:
            statuses_now = connection.scalars(
                select(OutboxItem.status).where(OutboxItem.id.in_(pending))
            ).all()
        assert statuses_now == ["done"] * 3
        assert sorted(call.body[:6] for call in recorder.sent) == ["Item 0", "Item 1", "Item 2"]
        admin.dispose()


@pytest.mark.skipif(
    ON_POSTGRESQL,
    reason="SQLite only (a write lock held past busy_timeout); "
    "test_postgresql_restart_under_load is the PostgreSQL equivalent",
)
def test_sqlite_locked_database_answers_503_and_stores_nothing(
    settings, engine, tmp_path, recorder
):
    from jobs.messaging import deliver_outbox
    from patient_app import create_app

    with (
        scratch_app_database(settings, tmp_path, "locked") as scratch,
        use_queue_factory(dead_queue),
    ):
        app_engine = db.get_engine()

        @event.listens_for(app_engine, "connect")
        def _impatient(dbapi_connection, _record):
            # After make_engine's own PRAGMAs: wait 50 ms for a lock instead of 30 s.
            dbapi_connection.execute("PRAGMA busy_timeout=50")

        app_engine.dispose()
        [(patient_id, phone)] = _seed(1)
        app = create_app(scratch)
        client = app.test_client()
        [opening_id] = db.Session.scalars(select(OutboxItem.id)).all()
        db.Session.remove()

        path = make_url(scratch.database_url).database
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another process writing, for longer than we wait
        try:
            sid = new_sid()
            params = inbound_params("1", phone, CLINIC_NUMBER, sid=sid)
            for _ in range(3):
                response = post_signed(client, "/twilio/sms", params)
                _unbroken(response)
                assert response.status_code == 503
            status = post_signed(
                client,
                "/twilio/status",
                {"MessageSid": new_sid(), "MessageStatus": "delivered", "AccountSid": "AC1"},
            )
            _unbroken(status)
            assert status.status_code == 503
            with pytest.raises(OperationalError):
                deliver_outbox(opening_id)  # the worker's job fails; RQ keeps it as failed
            assert recorder.calls == []
            counts = holder.execute(
                "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM assessment_answers)"
            ).fetchone()
            assert counts == (1, 0)  # the opening text only: nothing of the locked requests
        finally:
            holder.close()  # rolls back: the lock goes

        retried = post_signed(client, "/twilio/sms", params)
        assert retried.status_code == 200 and b"(2/9)" in retried.data
        assert deliver_outbox(opening_id) == "sent"
        assert len(recorder.sent) == 1
        with app_engine.connect() as connection:
            assert (
                connection.scalar(
                    select(func.count()).select_from(Message).where(Message.twilio_sid == sid)
                )
                == 1
            )
            found = _consistent(connection)
            assert list(found.values()) == [("in_progress", None, 1)]
            assert (
                connection.scalar(
                    select(Conversation.patient_id).where(Conversation.status == "open")
                )
                == patient_id
            )
