"""Idempotency-Key: a retried create answers the first result and adds nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from cocm.models import ApiIdempotencyKey, Conversation, Patient, TimeEntry
from tests.factories import staff_with_role
from tests.staff_app.api.helpers import Api, fields_of, token_for

NEW = {"mrn": "IDEM-1", "first_name": "Ana", "last_name": "Lee", "date_of_birth": "1980-02-01"}
KEY = {"Idempotency-Key": "3f1c2a9e-0d4b-4c58-9a55-2b7d3e1f6a10"}


def _count(sql, model) -> int:
    return sql.scalar(select(func.count()).select_from(model))


def test_the_same_key_and_body_answer_the_same_result_once(manager, home, sql):
    before = _count(sql, Patient)
    first = manager.post("/patients", NEW, headers=KEY)
    again = manager.post("/patients", NEW, headers=KEY)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _count(sql, Patient) == before + 1
    assert _count(sql, ApiIdempotencyKey) == 1


def test_the_same_key_with_another_body_is_refused(manager, home, sql):
    manager.post("/patients", NEW, headers=KEY)
    other = manager.post("/patients", {**NEW, "mrn": "IDEM-2"}, headers=KEY)
    assert fields_of(other) == {"Idempotency-Key"}
    elsewhere = manager.post(f"/patients/{home.patient_id}/checkins", NEW, headers=KEY)
    assert elsewhere.status_code == 422
    assert sql.scalar(select(Patient).where(Patient.mrn == "IDEM-2")) is None


def test_a_refused_create_keeps_no_key(manager, home, sql):
    bad = manager.post("/patients", {**NEW, "phone": "12"}, headers=KEY)
    assert bad.status_code == 422
    assert _count(sql, ApiIdempotencyKey) == 0
    fixed = manager.post("/patients", {**NEW, "phone": "617-555-0123"}, headers=KEY)
    assert fixed.status_code == 201


def test_keys_belong_to_one_token(client, manager, home, sql):
    other = Api(client, token_for(staff_with_role(home.clinic, "care_manager")))
    sql.commit()
    entry = {"performed_on": "2026-03-03", "minutes": 10, "activity": "outreach"}
    path = f"/patients/{home.patient_id}/time-entries"
    ids = {api.post(path, entry, headers=KEY).get_json()["id"] for api in (manager, other, manager)}
    assert len(ids) == 2 and _count(sql, TimeEntry) == 2


def test_a_retried_checkin_starts_one_conversation(manager, home, sql):
    path = f"/patients/{home.patient_id}/checkins"
    first = manager.post(path, {"instrument": "PHQ-9"}, headers=KEY)
    again = manager.post(path, {"instrument": "PHQ-9"}, headers=KEY)
    assert first.status_code == again.status_code == 202
    assert first.get_json() == again.get_json()
    assert _count(sql, Conversation) == 1


def test_a_key_must_be_printable_and_short(manager, home):
    assert fields_of(manager.post("/patients", NEW, headers={"Idempotency-Key": "x" * 256})) == {
        "Idempotency-Key"
    }
