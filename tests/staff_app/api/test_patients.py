"""Patients through the API: search, create, read, update, and other clinics' patients."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cocm.models import AuditEvent, ConsentEvent, Patient
from tests.factories import PatientFactory
from tests.staff_app.api.helpers import T0, fields_of, problem_of

NEW = {
    "mrn": "API-0001",
    "first_name": "Rosa",
    "last_name": "Quintero",
    "date_of_birth": "1984-06-30",
    "phone": "(617) 555-0123",
    "language": "es",
    "sms_consent": True,
}


def test_create_a_patient_with_text_consent(manager, home, sql):
    response = manager.post("/patients", NEW)
    assert response.status_code == 201, response.text
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/patients/{body['id']}"
    assert body["clinic"] == home.slug
    assert body["phone"] == "+16175550123"
    assert body["care_manager_id"] == home.manager.id  # the caller, a care manager
    assert body["timezone"] == "America/New_York"
    assert body["sms_consent_at"] == "2026-03-03T15:00:00Z"
    assert body["open_episode"] is None
    consent = sql.scalar(select(ConsentEvent).where(ConsentEvent.patient_id == body["id"]))
    assert consent.kind == "sms_consent_given" and consent.staff_id == home.manager.id
    assert "Su equipo de atención" in consent.wording  # the wording in the patient's language
    event = sql.scalar(select(AuditEvent).where(AuditEvent.action == "api_patient_create"))
    assert event.patient_id == body["id"] and event.api_token_id is not None


def test_create_names_every_invalid_field(manager, home):
    bad = {**NEW, "phone": "12", "timezone": "Mars/Olympus", "care_manager_id": 999999}
    assert fields_of(manager.post("/patients", bad)) == {"phone", "timezone", "care_manager_id"}
    assert "mrn" in fields_of(manager.post("/patients", {**NEW, "mrn": "  "}))
    assert "date_of_birth" in fields_of(manager.post("/patients", {**NEW, "date_of_birth": 5}))
    future = {**NEW, "date_of_birth": "2026-03-04"}
    assert fields_of(manager.post("/patients", future)) == {"date_of_birth"}
    assert "extra" in fields_of(manager.post("/patients", {**NEW, "extra": 1}))
    assert "first_name" in fields_of(manager.post("/patients", {**NEW, "first_name": "a\x00b"}))
    no_phone = {k: v for k, v in NEW.items() if k != "phone"}
    assert fields_of(manager.post("/patients", no_phone)) == {"phone"}


def test_a_taken_mrn_is_a_conflict(manager, home):
    PatientFactory(clinic=home.clinic, mrn="API-0001")
    body = problem_of(manager.post("/patients", NEW), 409)
    assert body["errors"] == [
        {"field": "mrn", "message": "Another patient of this clinic has this MRN."}
    ]


def test_only_care_managers_create_and_only_in_their_clinics(api_as, home, away):
    for role in ("treating_clinician", "psychiatric_consultant", "clinic_lead", "admin"):
        problem_of(api_as(role).post("/patients", NEW), 403)
    other = {**NEW, "clinic": away.slug}
    assert fields_of(api_as("care_manager").post("/patients", other)) == {"clinic"}


def test_search_by_mrn_and_by_name(manager, home, away, sql):
    PatientFactory(clinic=home.clinic, mrn="MRN-77", first_name="Omar", last_name="Ortiz")
    PatientFactory(clinic=away.clinic, mrn="MRN-77", first_name="Omar", last_name="Ortiz")
    found = manager.get("/patients", query_string={"mrn": "MRN-77"}).get_json()
    assert [p["clinic"] for p in found["items"]] == [home.slug]
    by_name = manager.get("/patients", query_string={"name": "omar ORT"}).get_json()
    assert [p["mrn"] for p in by_name["items"]] == ["MRN-77"]
    assert manager.get("/patients", query_string={"name": "100%_"}).get_json()["items"] == []
    searched = manager.post("/patients/search", {"mrn": "MRN-77"}).get_json()
    assert [p["clinic"] for p in searched["items"]] == [home.slug]
    assert fields_of(manager.post("/patients/search", {"mrn": 77})) == {"mrn"}
    event = sql.scalars(select(AuditEvent).where(AuditEvent.action == "api_patient_search")).first()
    assert event.detail["by_mrn"] is True and "MRN-77" not in str(event.detail)  # no PHI kept


def test_lists_page_with_cursors(manager, home):
    for n in range(4):
        PatientFactory(clinic=home.clinic, mrn=f"P-{n}")
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = manager.get("/patients", query_string=query).get_json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 5 and seen == sorted(seen)  # the world's patient and four more
    assert fields_of(manager.get("/patients", query_string={"cursor": "!!"})) == {"cursor"}
    assert fields_of(manager.get("/patients", query_string={"limit": 0})) == {"limit"}


@pytest.mark.parametrize(
    "role", ["care_manager", "treating_clinician", "psychiatric_consultant", "clinic_lead"]
)
def test_clinical_roles_read_patients_of_their_clinic_only(api_as, role, home, away, sql):
    api = api_as(role)
    response = api.get(f"/patients/{home.patient_id}")
    assert response.status_code == 200
    assert response.get_json()["open_episode"]["id"] == home.episode_id
    problem_of(api.get(f"/patients/{away.patient_id}"), 404)
    listed = {p["id"] for p in api.get("/patients").get_json()["items"]}
    assert home.patient_id in listed and away.patient_id not in listed
    view = sql.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "api_chart_view", AuditEvent.patient_id == home.patient_id
        )
    )
    assert view.staff_id == home.staff(role).id


def test_admins_do_not_read_charts(api_as, home):
    problem_of(api_as("admin").get(f"/patients/{home.patient_id}"), 403)
    problem_of(api_as("admin").get("/patients"), 403)


def test_update_changes_only_what_was_sent(manager, home, sql):
    patient = sql.get(Patient, home.patient_id)
    patient.phone_problem = "21610 unsubscribed"
    sql.commit()
    before = patient.first_name
    response = manager.patch(
        f"/patients/{home.patient_id}", {"last_name": "Reyes", "phone": "617-555-0199"}
    )
    assert response.status_code == 200, response.text
    body = response.get_json()
    assert (body["first_name"], body["last_name"]) == (before, "Reyes")
    assert body["phone"] == "+16175550199" and body["phone_problem"] is None
    event = sql.scalar(select(AuditEvent).where(AuditEvent.action == "api_patient_update"))
    assert set(event.detail["fields"]) == {"last_name", "phone_e164"}


def test_update_refusals(api_as, home, away, sql):
    manager = api_as("care_manager")
    assert fields_of(manager.patch(f"/patients/{home.patient_id}", {"mrn": None})) == {"mrn"}
    problem_of(manager.patch(f"/patients/{away.patient_id}", {"last_name": "X"}), 404)
    problem_of(api_as("treating_clinician").patch(f"/patients/{home.patient_id}", {}), 403)
    PatientFactory(clinic=home.clinic, mrn="TAKEN")
    problem_of(manager.patch(f"/patients/{home.patient_id}", {"mrn": "TAKEN"}), 409)
    patient = sql.get(Patient, home.patient_id)
    patient.sms_opted_out = True
    sql.commit()
    body = problem_of(manager.patch(f"/patients/{home.patient_id}", {"sms_consent": True}), 409)
    assert "START" in body["detail"]


def test_consent_recorded_later(manager, home, sql):
    created = manager.post("/patients", {**NEW, "sms_consent": False}).get_json()
    assert created["sms_consent_at"] is None
    response = manager.patch(f"/patients/{created['id']}", {"sms_consent": True})
    assert response.get_json()["sms_consent_at"] == T0.isoformat().replace("+00:00", "Z")
    assert sql.scalar(select(ConsentEvent).where(ConsentEvent.patient_id == created["id"]))
