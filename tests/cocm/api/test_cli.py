"""`cocm create-api-token` through the real command group."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from cocm import db
from cocm.api.tokens import authenticate, hash_token
from cocm.cli import cli
from cocm.clock import utcnow
from cocm.models import ApiToken, AuditEvent
from tests.factories import ClinicFactory, StaffFactory, staff_with_role


def _run(*args):
    return CliRunner().invoke(cli, ["create-api-token", *args], catch_exceptions=False)


def test_the_token_is_printed_once_on_stdout_and_stored_hashed(session):
    staff = staff_with_role(ClinicFactory(), "care_manager", email="cm@example.org")
    staff_id = staff.id
    session.commit()
    result = _run("--user", "CM@example.org", "--name", "EHR sync")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert token.startswith("cocm_") and "\n" not in token
    assert "EHR sync" in result.stderr and token not in result.stderr
    row = db.Session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    assert (row.staff_id, row.name) == (staff_id, "EHR sync")
    assert authenticate(db.Session, token, utcnow()) is not None
    event = db.Session.scalar(select(AuditEvent).where(AuditEvent.action == "api_token_created"))
    assert (event.staff_id, event.api_token_id) == (staff_id, row.id)


def test_unknown_people_and_people_without_roles_get_one_clear_line(session):
    StaffFactory(email="norole@example.org")
    session.commit()
    unknown = CliRunner().invoke(cli, ["create-api-token", "--user", "who@example.org"])
    assert (
        unknown.exit_code == 1 and "no staff member with e-mail who@example.org" in unknown.output
    )
    norole = CliRunner().invoke(cli, ["create-api-token", "--user", "norole@example.org"])
    assert norole.exit_code == 1 and "no role in any clinic" in norole.output
    assert db.Session.scalar(select(ApiToken)) is None
