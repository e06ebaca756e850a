"""While a token acts, every audit event flushed carries its id, whoever records it."""

from __future__ import annotations

from datetime import UTC, datetime

from cocm.api import audit as api_audit
from cocm.api.tokens import create_token
from cocm.audit import record
from tests.factories import ClinicFactory, staff_with_role

NOW = datetime(2026, 3, 3, 15, tzinfo=UTC)


def test_events_are_stamped_only_while_a_token_acts(session):
    api_audit.install()
    staff = staff_with_role(ClinicFactory(), "care_manager")
    token, _ = create_token(session, staff, "t", NOW)
    api_audit.acting_token(session, token.id)
    stamped = record(session, "time_logged", staff_id=staff.id)
    session.flush()
    api_audit.acting_token(session, None)
    plain = record(session, "sign_in", staff_id=staff.id)
    session.flush()
    assert stamped.api_token_id == token.id
    assert plain.api_token_id is None
