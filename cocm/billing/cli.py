"""``cocm billing-report --month YYYY-MM [--clinic SLUG] [--csv]``: the billing month on stdout.

Progress and warnings go to stderr so that ``--csv > month.csv`` stays a clean file. Every run
records one audit event per clinic reported (it is an export of chart data).
"""

from __future__ import annotations

import calendar
import re
import time
from collections import Counter

import click
from sqlalchemy import select

from cocm.billing.export import billing_csv, format_codes
from cocm.billing.month import BillingRow, billing_month

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _parse_month(_ctx, _param, value: str) -> tuple[int, int]:
    match = _MONTH.match(value.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise click.BadParameter(f"{value!r} is not a month; expected YYYY-MM, e.g. 2026-03")
    return int(match.group(1)), int(match.group(2))


@click.command("billing-report")
@click.option(
    "--month",
    "year_month",
    required=True,
    metavar="YYYY-MM",
    callback=_parse_month,
    help="calendar month to report, e.g. 2026-03",
)
@click.option("--clinic", "clinic_slug", metavar="SLUG", help="one clinic (default: all clinics)")
@click.option("--csv", "as_csv", is_flag=True, help="CSV with a header line instead of a table")
def billing_report(year_month: tuple[int, int], clinic_slug: str | None, as_csv: bool) -> None:
    """Minutes, codes and missing evidence per episode for one month."""
    from cocm import audit
    from cocm import db as database
    from cocm.cli_support import fail_on_config_error
    from cocm.models import Clinic
    from cocm.startup import connect_database

    year, month = year_month
    # Like the other commands (through the app): bind the session; a bad URL fails on first use.
    fail_on_config_error(lambda: connect_database(check=False))
    with database.session_scope() as session:
        clinics = session.scalars(select(Clinic).order_by(Clinic.slug)).all()
        if clinic_slug is not None:
            clinics = [c for c in clinics if c.slug == clinic_slug]
            if not clinics:
                known = ", ".join(session.scalars(select(Clinic.slug).order_by(Clinic.slug)))
                raise click.ClickException(
                    f"unknown clinic {clinic_slug!r}; known clinics: {known or 'none'}"
                )
        if not clinics:
            raise click.ClickException("no clinics in the database")
        all_rows: list[BillingRow] = []
        for clinic in clinics:
            click.echo(f"{clinic.slug}: computing {year:04d}-{month:02d} ...", err=True)
            began = time.monotonic()
            try:
                rows = billing_month(session, clinic.id, year, month)
            except ValueError as exc:
                raise click.ClickException(str(exc)) from None
            click.echo(
                f"{clinic.slug}: {len(rows)} episodes, "
                f"{sum(r.billable for r in rows)} billable ({time.monotonic() - began:.1f} s)",
                err=True,
            )
            if rows and rows[0].month_open:
                click.echo(
                    f"{clinic.slug}: the month is not over yet; figures can still change",
                    err=True,
                )
            audit.record(
                session,
                "billing.report",
                clinic_id=clinic.id,
                object_type="billing_month",
                detail={
                    "month": f"{year:04d}-{month:02d}",
                    "format": "csv" if as_csv else "text",
                    "rows": len(rows),
                    "via": "cli",
                },
            )
            if not as_csv:
                click.echo(_table(clinic.name, clinic.slug, year, month, rows))
            all_rows.extend(rows)
        session.flush()
        if as_csv:
            click.echo(billing_csv(all_rows), nl=False)


def _table(name: str, slug: str, year: int, month: int, rows: list[BillingRow]) -> str:
    totals: Counter[str] = Counter()
    for row in rows:
        for code, units in row.codes:
            totals[code] += units
    blocked = sum(1 for r in rows if r.missing)
    lines = [
        f"{name} ({slug}), {calendar.month_name[month]} {year}: {len(rows)} episodes, "
        f"{sum(r.billable for r in rows)} billable, {blocked} missing evidence",
        "  codes: " + (", ".join(f"{c} x{n}" for c, n in sorted(totals.items())) or "none"),
        "",
        f"{'PATIENT':<24} {'MRN':<12} {'CARE MANAGER':<20} {'PROG':<5} {'MONTH':<8}"
        f" {'MIN':>4} {'CONS':>4}  {'CODES':<16} NEXT / MISSING",
    ]
    for r in rows:
        if r.missing:
            remark = "missing: " + "; ".join(r.missing)
        elif r.next_code:
            remark = f"{r.minutes_to_next} min to {r.next_code}"
        else:
            remark = ""
        lines.append(
            f"{r.patient_name[:24]:<24} {r.mrn[:12]:<12} {(r.care_manager or '-')[:20]:<20}"
            f" {r.program:<5} {r.month_kind:<8} {r.minutes:>4} {r.consultant_minutes:>4}"
            f"  {format_codes(r.codes) or '-':<16} {remark}"
        )
    return "\n".join(lines) + "\n"
