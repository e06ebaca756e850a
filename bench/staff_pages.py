"""Staff pages at 20,000 active patients with six months of history, against bare SQL.

    python -m bench.staff_pages [--quick]

Builds two clinics in one database with ``bench.data`` (BENCH_STAFF_SMALL, default 2,000, and
BENCH_STAFF_LARGE, default 20,000 patients; 500 and 2,000 with ``--quick``), each with a clinic
lead, open queue items for one patient in fifty, and signs in through the staff app's own form.
For each page:

- the page through the Flask test client of ``staff_app.create_app`` (routing, sign-in,
  service, template, audit event and commit: the honest figure), and the service function it
  calls, each the median of three runs after a warm-up, at the large clinic;
- the baseline: bare SQL fetching the rows the page shows (``bench/staff_sql.py``), in the same
  run. Goal: the page within 1.5 times the baseline;
- the SQL statements per page, counted with a ``before_cursor_execute`` listener at both sizes.
  Goal: the same count at both sizes.

The registry is timed twice: a care manager's default view (their own caseload, about a
hundred patients) and a clinic lead's (every patient of the clinic; the default sort puts risk,
not improving and overdue first, so every row's flags are computed before the first page).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench import staff_sql
from bench.cache import clinic_database
from bench.common import (
    Figure,
    StatementCounter,
    database_url,
    product_environment,
    release,
    run_main,
    show,
    timed,
)

SCRIPT = "staff_pages"
GOAL_RATIO = 1.5
RUNS = 3  # median of three after a warm-up: a clinic lead's registry takes seconds a run
PASSWORD = "bench-password-1"
BASE = "https://staff.bench.example"  # https: the session cookie is Secure in production mode
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


@dataclass
class World:
    """One built clinic and the people the pages are seen as."""

    clinic_id: int
    patients: int
    manager_id: int
    lead_id: int
    patient_id: int
    month: date


def _build(engine, clinic) -> World:
    """What the pages need beyond ``build_clinic``'s clinic (not cached: a salted password)."""
    from cocm.accounts import hash_password

    password = hash_password(PASSWORD)
    now = datetime.now(UTC)
    with engine.begin() as connection:
        lead_id = connection.scalar(
            text(
                "INSERT INTO staff (email, full_name, password_hash, is_active, failed_logins, "
                "created_at) VALUES (:email, 'Clinic Lead', :hash, true, 0, :now) RETURNING id"
            ),
            {"email": f"lead.{clinic.clinic_id}@bench.cocm.example", "hash": password, "now": now},
        )
        connection.execute(
            text(
                "INSERT INTO memberships (staff_id, clinic_id, role, fte) "
                "VALUES (:staff, :clinic, 'clinic_lead', 1.0)"
            ),
            {"staff": lead_id, "clinic": clinic.clinic_id},
        )
        manager_id = clinic.manager_ids[0]
        connection.execute(
            text("UPDATE staff SET password_hash = :hash WHERE id = :id"),
            {"hash": password, "id": manager_id},
        )
        # One patient in fifty has an open queue item; one in ten of those is urgent.
        connection.execute(
            text(
                """
                INSERT INTO queue_items (clinic_id, patient_id, kind, priority, status, reason,
                    is_drill, opened_at, escalation_level)
                SELECT p.clinic_id, p.id,
                    CASE WHEN p.id % 500 = 0 THEN 'risk_answer' ELSE 'needs_person' END,
                    CASE WHEN p.id % 500 = 0 THEN 'urgent' ELSE 'normal' END, 'open',
                    'Needs a person', false, :now - (p.id % 72) * interval '1 hour', 0
                FROM patients p WHERE p.clinic_id = :clinic AND p.id % 50 = 0
                """
            ),
            {"clinic": clinic.clinic_id, "now": now},
        )
        patient_id = connection.scalar(
            text("SELECT min(id) FROM patients WHERE care_manager_id = :id"), {"id": manager_id}
        )
        connection.execute(text("ANALYZE"))
    return World(
        clinic.clinic_id, clinic.patients, manager_id, lead_id, patient_id, clinic.last_full_month
    )


def _email(engine, staff_id: int) -> str:
    with engine.connect() as connection:
        return connection.scalar(text("SELECT email FROM staff WHERE id = :id"), {"id": staff_id})


def signed_in(app, email: str):
    """A test client of ``app`` signed in through the sign-in form."""
    client = app.test_client()
    page = client.get("/sign-in", base_url=BASE)
    match = _CSRF.search(page.text)
    if match is None:
        raise SystemExit("no CSRF token on the sign-in page")
    response = client.post(
        "/sign-in",
        data={"email": email, "password": PASSWORD, "csrf_token": match.group(1) or match.group(2)},
        base_url=BASE,
        headers={"Referer": f"{BASE}/sign-in"},  # Flask-WTF's HTTPS referrer check
    )
    if response.status_code != 302:
        raise SystemExit(f"could not sign in as {email}: {response.status_code}")
    return client


def _pages(world: World) -> list[tuple[str, str, str]]:
    """(name, who, path) of each page measured."""
    return [
        ("registry, care manager's own", "manager", "/registry"),
        ("registry, clinic lead (first page)", "lead", "/registry"),
        ("queue, clinic lead", "lead", "/queue"),
        ("chart", "manager", f"/patients/{world.patient_id}"),
        ("billing month, clinic lead", "lead", f"/billing?month={world.month:%Y-%m}"),
    ]


def _services(session_factory, world: World, today: date):
    """name -> a call of the service function behind that page."""
    from cocm.quality.billing_report import PER_PAGE, month_report
    from cocm.registry import RegistryFilters, registry
    from cocm.registry.chart import load_chart
    from cocm.registry.queue import queue_rows
    from staff_app.views.registry import PAGE_SIZE as page  # the service call the page makes

    clinics = {world.clinic_id}
    now = datetime.now(UTC)

    def call(fn):
        def wrapped():
            with session_factory() as session:
                return fn(session)

        return wrapped

    return {
        "registry, care manager's own": call(
            lambda s: registry(
                s, clinics, RegistryFilters(care_manager_id=world.manager_id), today, limit=page
            )
        ),
        "registry, clinic lead (first page)": call(
            lambda s: registry(s, clinics, RegistryFilters(), today, limit=page)
        ),
        "queue, clinic lead": call(lambda s: queue_rows(s, clinics, now=now)),
        "chart": call(lambda s: load_chart(s, world.patient_id, clinics, today)),
        "billing month, clinic lead": call(
            lambda s: month_report(
                s, world.clinic_id, world.month.year, world.month.month, today, per_page=PER_PAGE
            )
        ),
    }


def _baselines(engine, world: World, today: date):
    month_start = today.replace(day=1)
    params = {
        "clinic_id": world.clinic_id,
        "patient_id": world.patient_id,
        "month_start": month_start,
        "month_end": (month_start + timedelta(days=32)).replace(day=1),
        "start": world.month,
        "end": month_start,
    }

    def call(statements, **extra):
        def wrapped():
            with engine.connect() as connection:
                return staff_sql.run_all(connection, statements, {**params, **extra})

        return wrapped

    return {
        "registry, care manager's own": call(staff_sql.REGISTRY, manager_id=world.manager_id),
        "registry, clinic lead (first page)": call(staff_sql.REGISTRY, manager_id=None),
        "queue, clinic lead": call(staff_sql.QUEUE),
        "chart": call(staff_sql.CHART),
        "billing month, clinic lead": call(staff_sql.BILLING),
    }


def _count(engine, client, path: str) -> int:
    with StatementCounter(engine) as counter:
        response = client.get(path, base_url=BASE)
    if response.status_code != 200:
        raise SystemExit(f"{path} answered {response.status_code}")
    return len(counter.statements)


def run(argv: list[str]) -> list[Figure]:
    from cocm import db
    from cocm.config import load_settings, use_settings
    from staff_app import create_app

    quick = "--quick" in argv
    small = int(os.environ.get("BENCH_STAFF_SMALL", 500 if quick else 2_000))
    large = int(os.environ.get("BENCH_STAFF_LARGE", 2_000 if quick else 20_000))
    if make_url(database_url("staff")).get_backend_name() != "postgresql":
        raise SystemExit("bench.staff_pages needs PostgreSQL (DATABASE_URL)")
    url, drop, clinics = clinic_database(
        database_url("staff"), [{"patients": small}, {"patients": large}]
    )
    use_settings(load_settings(product_environment(url)))
    engine = db.configure(url)
    figures: list[Figure] = []
    try:
        worlds = [_build(engine, clinic) for clinic in clinics]
        print(f"  built clinics of {small:,} and {large:,} patients")
        app = create_app()
        counts: dict[str, list[int]] = {}
        for world in worlds:
            clients = {
                "manager": signed_in(app, _email(engine, world.manager_id)),
                "lead": signed_in(app, _email(engine, world.lead_id)),
            }
            for name, who, path in _pages(world):
                counts.setdefault(name, []).append(_count(engine, clients[who], path))
        world = worlds[-1]
        today = date.today()

        def session_factory():
            return Session(engine)

        services = _services(session_factory, world, today)
        baselines = _baselines(engine, world, today)
        print(f"  at {large:,} patients: median of {RUNS} runs after a warm-up")
        for name, who, path in _pages(world):
            client = clients[who]
            base_time, rows = timed(baselines[name], RUNS)
            service_time, _ = timed(services[name], RUNS)
            page_time, _ = timed(lambda c=client, p=path: c.get(p, base_url=BASE), RUNS)
            small_count, large_count = counts[name]
            ratio = page_time / base_time
            figures.append(
                show(
                    Figure(
                        SCRIPT,
                        f"{name}: page / bare SQL",
                        f"{ratio:.1f}x (page {page_time * 1000:.0f} ms, service "
                        f"{service_time * 1000:.0f} ms = {service_time / base_time:.1f}x, "
                        f"SQL {base_time * 1000:.0f} ms for {rows:,} rows)",
                        f"<= {GOAL_RATIO}x",
                        ratio <= GOAL_RATIO,
                    )
                )
            )
            figures.append(
                show(
                    Figure(
                        SCRIPT,
                        f"{name}: SQL queries at {small:,} / {large:,} patients",
                        f"{small_count} / {large_count}",
                        "no growth",
                        large_count <= small_count,
                    )
                )
            )
    finally:
        release(engine, url, drop)
    return figures


def main(argv: list[str] | None = None) -> int:
    return run_main(SCRIPT, run, sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
