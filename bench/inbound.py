"""Inbound texts under load: signed PHQ-9 replies to the patient app under gunicorn.

    python -m bench.inbound [--quick]

Builds a clinic of BENCH_INBOUND_PATIENTS (default 2,000; 500 with ``--quick``) patients with
three months of history (``bench.data``), opens a PHQ-9 text check-in for every one of them
(the set-based dispatcher), then serves ``cocm.wsgi:patient`` with gunicorn (4 workers, 4
threads, as in the Procfile; production settings, the recording SMS sender) and, on the same
stack, the baseline app ``bench/baseline_app.py`` whose one route checks the signature, inserts
a row and answers TwiML. Each server gets the same signed Twilio requests (one answer a request;
every patient answers item after item, so each ninth reply completes and scores a PHQ-9) from a
Python client with keep-alive connections:

- **throughput**: THREADS clients send back to back for MAX_SECONDS. Goal: the patient app
  answers at least half as many requests a second as the baseline.
- **latency**: requests paced at half of the server's own measured maximum for PACED_SECONDS;
  latency counts from when each request was due to go, so a server that falls behind is
  charged for the wait. Goal: p99 under 100 ms for the patient app.
- **memory**: the peak resident memory (VmHWM) of each gunicorn worker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.cache import clinic_database
from bench.common import (
    AUTH_TOKEN,
    PUBLIC_BASE_URL,
    Figure,
    children,
    database_url,
    peak_rss_mb,
    product_environment,
    redis_url,
    release,
    run_main,
    show,
    window_zone,
)
from bench.load import (
    THREADS,
    THREADS_PER_WORKER,
    WORKERS,
    Feed,
    Prepared,
    Result,
    load,
    serve,
    stop,
)

SCRIPT = "inbound"
MAX_SECONDS, PACED_SECONDS = 15.0, 15.0
GROUP = 48  # patients answering item by item together (see prepare)
GOAL_RATIO, GOAL_P99_MS = 0.5, 100.0
NUMBER = "+15005550100"
PATH = "/twilio/sms"
ACCOUNT = "AC" + "0" * 32


def _request(phone: str, body: str) -> Prepared:
    """One inbound text as Twilio posts it, signed as Twilio signs it."""
    from twilio.request_validator import RequestValidator

    sid = "SM" + uuid.uuid4().hex
    params = {
        "ToCountry": "US",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": body,
        "To": NUMBER,
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT,
        "From": phone,
        "ApiVersion": "2010-04-01",
    }
    signature = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_BASE_URL + PATH, params)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature,
    }
    return Prepared(PATH, urlencode(params).encode(), headers)


def prepare(phones: list[str], group: int = GROUP) -> list[Prepared]:
    """Every patient's nine answers. Patients go in groups, and within a group item by item, so
    a patient's next answer comes ``group`` requests later (long after the previous one was
    answered) and a ninth of the replies complete and score a PHQ-9 throughout. Items 8 and 9
    are answered 0: a risk answer is another path, with pages."""
    requests = []
    for first in range(0, len(phones), group):
        for item in range(1, 10):
            for index in range(first, min(first + group, len(phones))):
                answer = 0 if item >= 8 else (index + item) % 4
                requests.append(_request(phones[index], str(answer)))
    return requests


def statements_per_reply(phone: str) -> int:
    """The SQL statements the patient app sends for one reply (in-process, test client)."""
    from bench.common import StatementCounter
    from cocm import db
    from patient_app import create_app

    request = _request(phone, "1")
    client = create_app().test_client()
    with StatementCounter(db.get_engine(), queries_only=False) as counter:
        response = client.post(PATH, data=request.body, headers=request.headers)
    if response.status_code != 200:
        raise SystemExit(f"the patient app refused a signed reply: {response.status_code}")
    return len(counter.statements)


def open_checkins(engine, clinic_id: int) -> int:
    """A PHQ-9 text check-in open for every patient of the clinic, started by the set-based
    dispatcher (the clinic's zone moved to where it is early afternoon); returns how many."""
    from cocm import db
    from cocm.cadence.checkins import dispatch_due_checkins
    from cocm.messaging.keys import PENDING_KEY

    now = datetime.now(UTC)
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE clinics SET timezone = :zone, sms_number = :number WHERE id = :id"),
            {"zone": window_zone(now), "number": NUMBER, "id": clinic_id},
        )
        connection.execute(
            text(
                "INSERT INTO measurement_schedules (episode_id, instrument, next_due_at, active) "
                "SELECT e.id, 'PHQ-9', :due, true FROM episodes e "
                "JOIN patients p ON p.id = e.patient_id WHERE p.clinic_id = :id"
            ),
            {"due": now - timedelta(minutes=1), "id": clinic_id},
        )
    session = db.Session()
    report = dispatch_due_checkins(session, now)
    session.info.pop(PENDING_KEY, None)  # the opening texts are not what is measured here
    session.commit()
    db.Session.remove()
    return report.started


def _figures(app: Result, base: Result, app_paced: Result, base_paced: Result) -> list[Figure]:
    ratio = app.rate / base.rate if base.rate else 0.0
    return [
        show(
            Figure(
                SCRIPT,
                f"throughput, {THREADS} clients back to back",
                f"{app.rate:.0f} req/s = {ratio:.2f}x baseline {base.rate:.0f} req/s "
                f"(errors {app.errors}/{app.sent}, baseline {base.errors}/{base.sent})",
                f">= {GOAL_RATIO}x baseline",
                ratio >= GOAL_RATIO and app.errors == 0,
            )
        ),
        show(
            Figure(
                SCRIPT,
                f"p99 latency at half the max ({app_paced.rate:.0f} req/s)",
                f"{app_paced.p(0.99):.0f} ms (p50 {app_paced.p(0.5):.0f} ms; baseline at "
                f"{base_paced.rate:.0f} req/s: p99 {base_paced.p(0.99):.0f} ms, "
                f"p50 {base_paced.p(0.5):.0f} ms; errors {app_paced.errors})",
                f"< {GOAL_P99_MS:.0f} ms",
                app_paced.p(0.99) < GOAL_P99_MS and app_paced.errors == 0,
            )
        ),
    ]


def _measure(port: int, feed: Feed, label: str, seconds: float) -> tuple[Result, Result]:
    load(port, feed, 3.0)  # warm-up: every worker's imports, pools and caches
    flat_out = load(port, feed, seconds)
    print(f"  {label}: {flat_out.rate:.0f} req/s back to back, p99 {flat_out.p(0.99):.0f} ms")
    paced = load(port, feed, seconds, rate=max(1.0, flat_out.rate / 2))
    print(
        f"  {label}: at {paced.rate:.0f} req/s p50 {paced.p(0.5):.0f} ms, p99 {paced.p(0.99):.0f}"
    )
    return flat_out, paced


def run(argv: list[str]) -> list[Figure]:
    from redis import Redis

    from bench.baseline_app import TABLE_SQL
    from cocm import db
    from cocm.config import load_settings, use_settings

    quick = "--quick" in argv
    patients = int(os.environ.get("BENCH_INBOUND_PATIENTS", 500 if quick else 2_000))
    seconds = MAX_SECONDS / 2 if quick else MAX_SECONDS
    if make_url(database_url("inbound")).get_backend_name() != "postgresql":
        raise SystemExit("bench.inbound needs PostgreSQL (DATABASE_URL)")
    url, drop, (clinic,) = clinic_database(
        database_url("inbound"), [{"patients": patients, "months": 3}], progress=lambda _: None
    )
    env = product_environment(url)
    use_settings(load_settings(env))
    redis = Redis.from_url(redis_url())
    redis.flushdb()
    engine = db.configure(url)
    log_dir = Path(tempfile.mkdtemp(prefix="bench-inbound-"))
    servers: list[subprocess.Popen] = []
    try:
        with engine.begin() as connection:
            connection.execute(text(TABLE_SQL))
            phones = list(
                connection.scalars(
                    text("SELECT phone_e164 FROM patients WHERE clinic_id = :id ORDER BY id"),
                    {"id": clinic.clinic_id},
                )
            )
        opened = open_checkins(engine, clinic.clinic_id)
        per_reply = statements_per_reply(phones[0])
        requests = prepare(phones[1:])
        print(
            f"  {patients:,} patients, {opened:,} open PHQ-9 check-ins, {len(requests):,} replies"
        )

        app_process, app_port = serve("cocm.wsgi:patient", env, log_dir / "patient.log")
        servers.append(app_process)
        app, app_paced = _measure(app_port, Feed(requests), "patient app", seconds)
        app_peaks = [peak_rss_mb(pid) or 0.0 for pid in children(app_process.pid)]
        stop(app_process)

        base_env = {**env, "BENCH_BASELINE_DATABASE_URL": url}
        base_process, base_port = serve(
            "bench.baseline_app:create_app()", base_env, log_dir / "baseline.log"
        )
        servers.append(base_process)
        base, base_paced = _measure(base_port, Feed(requests, cycle=True), "baseline", seconds)
        base_peaks = [peak_rss_mb(pid) or 0.0 for pid in children(base_process.pid)]
        stop(base_process)

        with engine.connect() as connection:
            stored = connection.scalar(
                text(
                    "SELECT count(*) FROM messages "
                    "WHERE direction = 'inbound' AND twilio_sid IS NOT NULL"
                )
            )
            completed = connection.scalar(
                text(
                    "SELECT count(*) FROM assessments WHERE channel = 'sms' "
                    "AND status = 'completed' AND started_at > now() - interval '1 hour'"
                )
            )
        print(f"  the patient app stored {stored:,} inbound texts; {completed:,} PHQ-9 completed")
        figures = _figures(app, base, app_paced, base_paced)
        figures.append(
            show(
                Figure(
                    SCRIPT,
                    "SQL statements per reply (transaction control included)",
                    f"{per_reply} (baseline: BEGIN, one INSERT, COMMIT)",
                )
            )
        )
        figures.append(
            show(
                Figure(
                    SCRIPT,
                    f"peak RSS of each gunicorn worker ({WORKERS}x{THREADS_PER_WORKER} threads)",
                    "patient app "
                    + " / ".join(f"{p:.0f}" for p in app_peaks)
                    + " MB; baseline "
                    + " / ".join(f"{p:.0f}" for p in base_peaks)
                    + " MB",
                )
            )
        )
    finally:
        for process in servers:
            if process.poll() is None:
                stop(process)
        release(engine, url, drop, redis)
    return figures


def main(argv: list[str] | None = None) -> int:
    return run_main(SCRIPT, run, sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
