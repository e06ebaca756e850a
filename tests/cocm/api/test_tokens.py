"""API tokens: created once, stored hashed, refused when revoked or their user is gone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from cocm.api import tokens
from cocm.models import ApiToken
from tests.cocm.clinics.helpers import Team
from tests.factories import ClinicFactory, StaffFactory, staff_with_role

NOW = datetime(2026, 3, 3, 15, tzinfo=UTC)


def test_only_the_hash_and_a_prefix_are_stored(session):
    staff = staff_with_role(ClinicFactory(), "care_manager")
    row, token = tokens.create_token(session, staff, " EHR sync ", NOW)
    assert token.startswith("cocm_") and len(token) > 40
    assert row.token_hash == tokens.hash_token(token) != token
    assert row.prefix == token[:12] and row.name == "EHR sync"
    stored = session.scalars(select(ApiToken)).all()
    assert all(token not in (t.token_hash, t.prefix, t.name) for t in stored)
    assert tokens.create_token(session, staff, None, NOW)[0].name == "token 2026-03-03 15:00"


def test_authenticate_marks_the_last_use(session):
    staff = staff_with_role(ClinicFactory(), "clinic_lead")
    row, token = tokens.create_token(session, staff, "x", NOW)
    assert tokens.authenticate(session, token, NOW) is row
    assert row.last_used_at == NOW
    for wrong in (None, "", token + "x", token[5:], "cocm_" + "a" * 300):
        assert tokens.authenticate(session, wrong, NOW) is None


def test_revoked_tokens_and_deactivated_people_are_refused(session):
    staff = staff_with_role(ClinicFactory(), "care_manager")
    row, token = tokens.create_token(session, staff, "x", NOW)
    assert tokens.revoke(session, row, NOW) is True
    assert tokens.revoke(session, row, NOW) is False  # a second press changes nothing
    assert tokens.authenticate(session, token, NOW) is None
    other, other_token = tokens.create_token(session, staff, "y", NOW)
    staff.is_active = False
    assert tokens.authenticate(session, other_token, NOW) is None


def test_who_can_hold_a_token(session):
    with pytest.raises(tokens.TokenError, match="no role"):
        tokens.create_token(session, StaffFactory(), "x", NOW)
    staff = staff_with_role(ClinicFactory(), "admin", is_active=False)
    with pytest.raises(tokens.TokenError, match="deactivated"):
        tokens.create_token(session, staff, "x", NOW)
    with pytest.raises(tokens.TokenError, match="under 80"):
        tokens.create_token(session, staff_with_role(ClinicFactory(), "admin"), "n" * 81, NOW)


def test_listing_by_clinic(session):
    mine, theirs = Team(), Team()
    live, _ = tokens.create_token(session, mine.manager, "live", NOW)
    gone, _ = tokens.create_token(session, mine.lead, "gone", NOW)
    tokens.revoke(session, gone, NOW)
    other, _ = tokens.create_token(session, theirs.manager, "other", NOW)
    listed = tokens.tokens_for_clinics(session, {mine.clinic.id})
    assert [token.name for token, _staff in listed] == ["live", "gone"]  # live ones first
    assert tokens.token_in_clinics(session, other.id, {mine.clinic.id}) is None
    assert tokens.token_in_clinics(session, live.id, {mine.clinic.id}) is live
    assert tokens.tokens_for_clinics(session, set()) == []
