"""Idempotency keys at the service level: claim, finish, replay, refuse another request."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cocm.api import idempotency
from cocm.api.errors import Invalid
from cocm.api.tokens import create_token
from tests.factories import ClinicFactory, staff_with_role

NOW = datetime(2026, 3, 3, 15, tzinfo=UTC)


@pytest.fixture
def token_id(session) -> int:
    row, _ = create_token(session, staff_with_role(ClinicFactory(), "care_manager"), "t", NOW)
    return row.id


def test_fingerprints_ignore_key_order_but_not_content():
    a = idempotency.fingerprint("POST", "/api/v1/patients", {"a": 1, "b": [1, 2]})
    assert a == idempotency.fingerprint("POST", "/api/v1/patients", {"b": [1, 2], "a": 1})
    assert a != idempotency.fingerprint("POST", "/api/v1/patients", {"a": 2, "b": [1, 2]})
    assert a != idempotency.fingerprint(
        "POST", "/api/v1/patients/1/checkins", {"a": 1, "b": [1, 2]}
    )


def test_claim_then_replay(session, token_id):
    digest = idempotency.fingerprint("POST", "/p", {"x": 1})
    row, stored = idempotency.claim(session, token_id, "k1", digest, NOW)
    assert row is not None and stored is None
    idempotency.finish(session, row, idempotency.Stored(201, '{"id": 7}', "/p/7"))
    again, replay = idempotency.claim(session, token_id, "k1", digest, NOW)
    assert again is None and replay == idempotency.Stored(201, '{"id": 7}', "/p/7")
    other = idempotency.fingerprint("POST", "/p", {"x": 2})
    with pytest.raises(Invalid, match="different request"):
        idempotency.claim(session, token_id, "k1", other, NOW)


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there", "line\nbreak"])
def test_keys_must_be_short_and_printable(key):
    with pytest.raises(Invalid):
        idempotency.check_key(key)
