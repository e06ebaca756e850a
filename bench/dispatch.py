"""100,000 patients due at once: planning their check-ins, and delivering the texts through RQ.

    python -m bench.dispatch [--quick]

Builds (PostgreSQL ``INSERT ... SELECT``) a clinic of BENCH_DISPATCH_PATIENTS (default 100,000;
20,000 with ``--quick``) textable patients in active episodes, each with a baseline PHQ-9 and
its next PHQ-9 due a minute ago, in a time zone where it is early afternoon now (the texting
window is open whatever hour the benchmark runs). Then:

- **planning**: ``cocm.cadence.checkins.dispatch_due_checkins(session, now)`` for all of them and
  the commit (assessments, conversations, opening texts and outbox rows), against the baseline
  of bare set-based SQL writing the same four rows per patient with ``INSERT ... SELECT`` (rolled
  back). Goal: within 30 s. The after-commit hook's enqueueing of one RQ job per outbox row is
  timed on its own.
- **delivery**: the first BENCH_DELIVER (default 10,000; 3,000 with ``--quick``) outbox rows
  are enqueued and two ``python -m jobs.worker --burst`` processes deliver them with the
  recording sender; messages a second from the first delivery to the last (the rows'
  ``done_at``), against the same two workers running as many no-op jobs. Goal: 300 a second.
  The workers get DELIVER_SECONDS (60; the no-op jobs 30), then are stopped: a slow machine
  reports the rate it managed over the rows it delivered.
- **memory**: the peak resident memory (VmHWM) of each worker and of this process.

Redis is BENCH_REDIS_URL (default db 12), flushed before and after.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.cache import clinic_database
from bench.common import (
    ROOT,
    Figure,
    database_url,
    peak_rss_mb,
    product_environment,
    redis_url,
    release,
    run_main,
    show,
    wait_with_peaks,
    window_zone,
)

SCRIPT = "dispatch"
GOAL_SECONDS = 30.0
GOAL_RATE = 300.0
WORKERS = 2
# Seconds the workers may run: a slow machine reports the rate it managed, it does not hang.
DELIVER_SECONDS, NOOP_SECONDS = 60.0, 30.0
NOOP_LIST = "bench:noop:times"
NUMBER = "+15005550100"


def noop_job(outbox_id: int) -> None:
    """The baseline job: RQ's own cost, plus one Redis write to record when it ran."""
    from rq import get_current_job

    get_current_job().connection.rpush(NOOP_LIST, time.time())


# The clinic, for its staff: ``bench.data.build_clinic`` with no patients (see build_due).
CLINIC_BUILD = {"patients": 0, "months": 1, "slug": "bench-dispatch"}


def build_due(engine, clinic, patients: int, now: datetime) -> int:
    """``patients`` due patients in ``clinic`` (built with CLINIC_BUILD), written set-based;
    returns the clinic id."""
    params = {
        "clinic": clinic.clinic_id,
        "manager": clinic.manager_ids[0],
        "n": patients,
        "now": now,
        "due": now - timedelta(minutes=1),
        "zone": window_zone(now),
        "number": NUMBER,
    }
    since = "CAST(:now AS timestamptz) - interval '90 days'"
    statements = [
        "UPDATE clinics SET timezone = :zone, sms_number = :number WHERE id = :clinic",
        # Two thousand first names: openings repeat as they would in a real population.
        f"""
        INSERT INTO patients (clinic_id, mrn, first_name, last_name, phone_e164, language,
            care_manager_id, sms_consent_at, sms_opted_out, created_at)
        SELECT :clinic, 'D' || lpad(g::text, 7, '0'), 'Name' || (g % 2000),
            'Patient' || lpad(g::text, 7, '0'), '+1303' || lpad(g::text, 7, '0'),
            CASE WHEN g % 5 = 0 THEN 'es' ELSE 'en' END, :manager, {since}, false, {since}
        FROM generate_series(1, :n) AS g
        """,
        f"""
        INSERT INTO episodes (patient_id, program, status, initiating_visit_on, consent_on,
            consent_method, started_on, created_at)
        SELECT id, 'cocm', 'active', CAST({since} AS date) - 5, CAST({since} AS date), 'verbal',
            CAST({since} AS date), {since}
        FROM patients WHERE clinic_id = :clinic
        """,
        f"""
        INSERT INTO assessments (patient_id, episode_id, instrument, channel, status, total,
            severity, risk, started_at, completed_at)
        SELECT e.patient_id, e.id, 'PHQ-9', 'contact', 'completed', 14, 'moderate', false,
            {since}, {since}
        FROM episodes e JOIN patients p ON p.id = e.patient_id WHERE p.clinic_id = :clinic
        """,
        """
        INSERT INTO measurement_schedules (episode_id, instrument, next_due_at, active)
        SELECT e.id, 'PHQ-9', :due, true
        FROM episodes e JOIN patients p ON p.id = e.patient_id WHERE p.clinic_id = :clinic
        """,
    ]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), params)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    return clinic.clinic_id


# The least any dispatcher must write: the same four rows per due patient, in four statements.
BASELINE_SQL = [
    """
    INSERT INTO assessments (patient_id, episode_id, instrument, channel, status, risk,
        started_at)
    SELECT e.patient_id, e.id, ms.instrument, 'sms', 'in_progress', false, :now
    FROM measurement_schedules ms JOIN episodes e ON e.id = ms.episode_id
    WHERE ms.next_due_at <= :now
    """,
    """
    INSERT INTO conversations (patient_id, kind, instrument, assessment_id, status, state,
        opened_at, last_outbound_at)
    SELECT a.patient_id, 'checkin', a.instrument, a.id, 'open',
        json_build_object('kind', 'checkin', 'instrument', a.instrument), :now, :now
    FROM assessments a WHERE a.status = 'in_progress'
    """,
    """
    INSERT INTO messages (direction, patient_id, clinic_id, conversation_id, kind, body,
        from_number, to_number, status, segments, created_at)
    SELECT 'outbound', c.patient_id, p.clinic_id, c.id, 'checkin_open',
        'Hi ' || p.first_name || ', time for your check-in. Reply 0-3.', :number,
        p.phone_e164, 'queued', 1, :now
    FROM conversations c JOIN patients p ON p.id = c.patient_id WHERE c.status = 'open'
    """,
    """
    INSERT INTO outbox (message_id, dedupe_key, status, not_before, attempts, created_at)
    SELECT m.id, 'checkin_open:conversation:' || m.conversation_id, 'pending', :now, 0, :now
    FROM messages m WHERE m.kind = 'checkin_open'
    """,
]


def _baseline(engine, now: datetime) -> float:
    began = time.perf_counter()
    with engine.connect() as connection:
        transaction = connection.begin()
        for statement in BASELINE_SQL:
            connection.execute(text(statement), {"now": now, "number": NUMBER})
        elapsed = time.perf_counter() - began
        transaction.rollback()
    return elapsed


def _run_workers(env: dict[str, str], log_dir: Path, label: str, seconds: float) -> list[float]:
    """Two burst workers until the queues are empty or ``seconds`` have passed (then they are
    stopped); their peak RSS."""
    processes, logs = [], []
    for number in range(WORKERS):
        logs.append(log_dir / f"{label}-worker-{number}.log")
        with logs[-1].open("wb") as log:
            processes.append(
                subprocess.Popen(
                    [sys.executable, "-m", "jobs.worker", "--burst"],
                    env=env,
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
    peaks = wait_with_peaks(processes, seconds)
    for process, log in zip(processes, logs, strict=True):
        if process.returncode not in (0, -9):
            print(f"  a worker exited with {process.returncode}:\n{log.read_text()[-2000:]}")
    return peaks


def _rate(count: int, first: float | None, last: float | None) -> float:
    if count < 2 or first is None or last is None or last <= first:
        return 0.0
    return (count - 1) / (last - first)


def run(argv: list[str]) -> list[Figure]:
    from redis import Redis

    from cocm import db
    from cocm.cadence.checkins import dispatch_due_checkins
    from cocm.config import load_settings, use_settings
    from cocm.messaging.dispatch import enqueue_deliveries, mark_enqueued
    from cocm.messaging.keys import PENDING_KEY

    quick = "--quick" in argv
    patients = int(os.environ.get("BENCH_DISPATCH_PATIENTS", 20_000 if quick else 100_000))
    deliver = int(os.environ.get("BENCH_DELIVER", 3_000 if quick else 10_000))
    if make_url(database_url("dispatch")).get_backend_name() != "postgresql":
        raise SystemExit("bench.dispatch needs PostgreSQL (DATABASE_URL)")
    url, drop, (clinic,) = clinic_database(
        database_url("dispatch"), [CLINIC_BUILD], progress=lambda _: None
    )
    env = product_environment(url)
    use_settings(load_settings(env))
    redis = Redis.from_url(redis_url())
    redis.flushdb()
    engine = db.configure(url)
    figures: list[Figure] = []
    log_dir = Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    try:
        now = datetime.now(UTC)
        began = time.monotonic()
        build_due(engine, clinic, patients, now)
        print(f"  built {patients:,} due patients in {time.monotonic() - began:.0f} s")

        base = _baseline(engine, now)
        session = db.Session()
        began = time.perf_counter()
        report = dispatch_due_checkins(session, now)
        planned = time.perf_counter() - began
        pending = session.info.pop(PENDING_KEY, [])  # enqueued below, timed on its own
        session.commit()
        committed = time.perf_counter() - began
        db.Session.remove()
        began = time.perf_counter()
        if enqueue_deliveries(pending):
            # What the hook does, in slices: one IN list of 100,000 ids is past PostgreSQL's
            # limit of 65,535 bind parameters (the cron job dispatches 5,000 at a time).
            for start in range(0, len(pending), 10_000):
                mark_enqueued(pending[start : start + 10_000])
        enqueued = time.perf_counter() - began
        print(
            f"  dispatch: {report.started:,} started of {report.due:,} due "
            f"({report.outside_window} outside the window, {report.busy} busy, "
            f"{report.lost_race} lost races); {planned:.1f} s to plan and write, "
            f"{committed - planned:.1f} s to commit"
        )
        figures += [
            show(
                Figure(
                    SCRIPT,
                    f"plan + write + commit {report.started:,} check-ins",
                    f"{committed:.1f} s ({committed / base:.1f}x bare SQL {base:.1f} s)",
                    f"<= {GOAL_SECONDS:.0f} s",
                    committed <= GOAL_SECONDS and report.started == patients,
                )
            ),
            show(
                Figure(
                    SCRIPT,
                    f"enqueue {len(pending):,} delivery jobs (after-commit hook)",
                    f"{enqueued:.1f} s",
                )
            ),
        ]

        # Delivery: the first rows only (the rest would take minutes at the goal's rate).
        redis.flushdb()
        with engine.begin() as connection:
            ids = list(
                connection.scalars(
                    text("SELECT id FROM outbox ORDER BY id LIMIT :n"), {"n": deliver}
                )
            )
        enqueue_deliveries(ids)
        peaks = _run_workers(env, log_dir, "deliver", DELIVER_SECONDS / (2 if quick else 1))
        with engine.connect() as connection:
            done, first, last = connection.execute(
                text(
                    "SELECT count(*), extract(epoch FROM min(done_at)), "
                    "extract(epoch FROM max(done_at)) FROM outbox "
                    "WHERE status = 'done' AND id <= :last"
                ),
                {"last": ids[-1]},
            ).one()
        rate = _rate(done, first and float(first), last and float(last))

        redis.flushdb()
        from rq import Queue

        queue = Queue("sms", connection=redis)
        for start in range(0, len(ids), 1000):
            queue.enqueue_many(
                [
                    Queue.prepare_data("bench.dispatch.noop_job", args=(i,))
                    for i in ids[start : start + 1000]
                ]
            )
        _run_workers(env, log_dir, "noop", NOOP_SECONDS / (2 if quick else 1))
        times = [float(t) for t in redis.lrange(NOOP_LIST, 0, -1)]
        noop_rate = _rate(len(times), min(times, default=None), max(times, default=None))
        ratio = rate / noop_rate if noop_rate else 0.0
        figures.append(
            show(
                Figure(
                    SCRIPT,
                    f"delivery, {WORKERS} RQ workers, recording sender ({done:,}/{len(ids):,})",
                    f"{rate:.0f} msg/s ({ratio:.2f}x no-op jobs at {noop_rate:.0f}/s)",
                    f">= {GOAL_RATE:.0f} msg/s",
                    rate >= GOAL_RATE,
                )
            )
        )
        figures.append(
            show(
                Figure(
                    SCRIPT,
                    "peak RSS of each RQ worker (delivery)",
                    " / ".join(f"{p:.0f} MB" for p in peaks),
                )
            )
        )
        own = peak_rss_mb(os.getpid()) or 0.0
        figures.append(
            show(
                Figure(
                    SCRIPT, f"peak RSS of the dispatching process ({patients:,})", f"{own:.0f} MB"
                )
            )
        )
    finally:
        release(engine, url, drop, redis)
    return figures


def main(argv: list[str] | None = None) -> int:
    return run_main(SCRIPT, run, sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
