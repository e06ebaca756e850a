"""How long the billing month of a 20,000-patient clinic takes, against the bare SQL baseline.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/cocm_bench python -m bench.billing_month

Creates the database (dropping any old one of that name), migrates it, builds a clinic with
``bench.data`` (BENCH_PATIENTS, default 20,000, six months of history), then times
``cocm.billing.billing_month`` for the last full month against the baseline measured in the
same run: one plain ``SELECT patient_id, sum(minutes) ... GROUP BY patient_id`` over the
month's time entries, the least any billing report must read. Prints both times, their ratio
and the statement counts. On PostgreSQL it then times the billing page's service
(``month_report``: the whole month's totals and the first page of rows) against the page's bare
SQL (``bench.staff_sql.BILLING``: that sum, then the page's rows). Drops the database at the
end (BENCH_KEEP=1 keeps it).
"""

from __future__ import annotations

import os
import sys

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bench.cache import clinic_database
from bench.common import DEFAULT_URL, RUNS, StatementCounter, timed

BASELINE_SQL = text(
    """
    SELECT te.patient_id, sum(te.minutes)
    FROM time_entries te JOIN patients p ON p.id = te.patient_id
    WHERE p.clinic_id = :clinic_id
      AND te.performed_on >= :start AND te.performed_on < :end
      AND te.superseded_by_id IS NULL
    GROUP BY te.patient_id
    """
)


def main(argv: list[str] | None = None) -> int:
    from cocm.billing import billing_month
    from cocm.billing.month import add_months
    from cocm.db import make_engine

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    patients = int(os.environ.get("BENCH_PATIENTS", "20000"))
    print(f"billing_month: {patients:,} active patients on {make_url(url).get_backend_name()}")
    url, drop, (clinic,) = clinic_database(url, [{"patients": patients}])
    engine = make_engine(url)
    try:
        month = clinic.last_full_month
        start, end = month, add_months(month, 1)
        today = add_months(month, 1)
        print(f"timing {month:%Y-%m}, median of {RUNS} runs after a warm-up")

        def report():
            with Session(engine) as session:
                return billing_month(session, clinic.clinic_id, month.year, month.month, today)

        def baseline():
            with engine.connect() as connection:
                params = {"clinic_id": clinic.clinic_id, "start": start, "end": end}
                return connection.execute(BASELINE_SQL, params).all()

        base_time, base_rows = timed(baseline)
        with StatementCounter(engine) as base_count:
            baseline()
        month_time, rows = timed(report)
        with StatementCounter(engine) as month_count:
            report()
        billable = sum(1 for r in rows if r.codes)
        print(
            f"  baseline (bare SQL sum per patient): {base_time * 1000:8.1f} ms, "
            f"{len(base_rows):,} patients, {len(base_count.statements)} statement(s)"
        )
        print(
            f"  billing_month:                       {month_time * 1000:8.1f} ms, "
            f"{len(rows):,} episodes ({billable:,} billable), "
            f"{len(month_count.statements)} statements"
        )
        print(f"  ratio billing_month / baseline: {month_time / base_time:.1f}x")
        if engine.dialect.name == "postgresql":
            _page(engine, clinic.clinic_id, start, end, today)
    finally:
        engine.dispose()
        if os.environ.get("BENCH_KEEP") == "1":
            print(f"  kept the database: {make_url(url).render_as_string(hide_password=True)}")
        else:
            drop()
    return 0


def _page(engine, clinic_id: int, start, end, today) -> None:
    """The billing page's service against the page's bare SQL, in the same run."""
    from bench import staff_sql
    from cocm.quality.billing_report import PER_PAGE, month_report

    def page():
        with Session(engine) as session:
            return month_report(
                session, clinic_id, start.year, start.month, today, per_page=PER_PAGE
            )

    def baseline():
        with engine.connect() as connection:
            params = {"clinic_id": clinic_id, "start": start, "end": end}
            return staff_sql.run_all(connection, staff_sql.BILLING, params)

    base_time, base_rows = timed(baseline)
    page_time, report = timed(page)
    with StatementCounter(engine) as page_count:
        page()
    print(
        f"  page baseline (sum per patient, then the page's rows): {base_time * 1000:8.1f} ms, "
        f"{base_rows:,} rows"
    )
    print(
        f"  month_report, first page of {PER_PAGE}:                 {page_time * 1000:8.1f} ms, "
        f"{len(report.rows)} of {report.shown:,} rows, {len(page_count.statements)} statements"
    )
    print(f"  ratio month_report page / page baseline: {page_time / base_time:.1f}x")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
