"""`cocm billing-report` through the real command group."""

import csv
import io
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cocm.cli import cli
from cocm.models import AuditEvent


@pytest.fixture
def two_clinics(make_clinic, settings):
    north = make_clinic(slug="north", name="North Clinic")
    south = make_clinic(slug="south", name="South Clinic", timezone="America/Chicago")
    adams = north.episode(north.patient("Avery", "Adams", mrn="N-1"), date(2026, 2, 2))
    north.time(adams, date(2026, 2, 3), 45)
    north.time(adams, date(2026, 3, 3), 32)
    brown = south.episode(south.patient("Blake", "Brown", mrn="S-1"), date(2026, 3, 2))
    south.time(brown, date(2026, 3, 3), 90)
    north.session.flush()
    return north, south


def _run(*args):
    return CliRunner().invoke(cli, ["billing-report", *args], catch_exceptions=False)


def test_one_clinic_as_a_table(two_clinics, session):
    north, _ = two_clinics
    result = _run("--month", "2026-03", "--clinic", "north")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "North Clinic (north), March 2026: 1 episodes, 1 billable, 0 missing evidence" in out
    assert "codes: 99493 x1" in out
    line = next(line for line in out.splitlines() if line.startswith("Avery Adams"))
    assert line.split()[2:] == ["N-1", "Maria", "Lopez", "cocm", "later", "32", "0", "99493",
                                "44", "min", "to", "99494"]  # fmt: skip
    assert "Blake Brown" not in out
    assert "north: 1 episodes, 1 billable" in result.stderr  # progress stays off stdout
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "billing.report"))
    assert event.clinic_id == north.clinic.id
    assert event.detail == {"month": "2026-03", "format": "text", "rows": 1, "via": "cli"}


def test_all_clinics_as_csv(two_clinics, session):
    result = _run("--month", "2026-03", "--csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["clinic"], r["patient"], r["minutes"], r["codes"]) for r in rows] == [
        ("north", "Avery Adams", "32", "99493"),
        ("south", "Blake Brown", "90", "99492, 99494"),
    ]
    assert (
        rows[1]["99492"] == "1" and rows[1]["99494"] == "1" and rows[1]["month_kind"] == "initial"
    )
    assert "north:" in result.stderr and "south:" in result.stderr
    details = session.scalars(
        select(AuditEvent.detail).where(AuditEvent.action == "billing.report")
    ).all()
    assert sorted(d["format"] for d in details) == ["csv", "csv"]


@pytest.mark.parametrize("month", ["2026-13", "2026-3", "March", "2026-00", "26-03"])
def test_a_bad_month_gets_a_clear_message(two_clinics, month):
    result = _run("--month", month)
    assert result.exit_code == 2
    assert "Invalid value for '--month'" in result.stderr
    assert "expected YYYY-MM, e.g. 2026-03" in result.stderr
    assert result.stdout == ""


def test_an_unknown_clinic_gets_a_clear_message(two_clinics):
    result = _run("--month", "2026-03", "--clinic", "west")
    assert result.exit_code == 1
    assert "unknown clinic 'west'; known clinics:" in result.stderr
    assert "north" in result.stderr and "south" in result.stderr
    assert result.stdout == ""


def test_a_month_before_any_rule_set(two_clinics):
    result = _run("--month", "2019-05", "--clinic", "north")
    assert result.exit_code == 1
    assert "no billing rule set in effect on 2019-05-01" in result.stderr
