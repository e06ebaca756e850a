"""Assessments through the API: taken in clinic (with the risk path), listed, read, FHIR."""

from __future__ import annotations

from sqlalchemy import select

from cocm.models import Assessment, AuditEvent, MeasurementSchedule, Page, QueueItem
from tests.staff_app.api.helpers import fields_of, problem_of

PHQ9 = {"instrument": "PHQ-9", "answers": [2, 2, 1, 1, 2, 1, 1, 0, 0]}


def test_record_a_phq9_taken_in_clinic(api_as, home, sql):
    response = api_as("care_manager").post(f"/patients/{home.patient_id}/assessments", PHQ9)
    assert response.status_code == 201, response.text
    body = response.get_json()
    assert (body["total"], body["severity"], body["risk"]) == (10, "moderate", False)
    assert (body["status"], body["channel"], body["episode_id"]) == (
        "completed",
        "clinic",
        home.episode_id,
    )
    assert body["answers"] == PHQ9["answers"] and body["risk_queue_item_id"] is None
    due = sql.scalar(
        select(MeasurementSchedule.next_due_at).where(
            MeasurementSchedule.episode_id == home.episode_id,
            MeasurementSchedule.instrument == "PHQ-9",
        )
    )
    assert due.isoformat() == "2026-03-17T15:00:00+00:00"  # the schedule moved on 14 days
    clinician = api_as("treating_clinician").post(
        f"/patients/{home.patient_id}/assessments", {"instrument": "GAD-7", "answers": [0] * 7}
    )
    assert clinician.get_json()["severity"] == "minimal"


def test_item_9_takes_the_risk_path_like_the_staff_app(manager, home, sql, _recorder):
    answers = [1, 1, 1, 1, 1, 1, 1, 1, 2]
    response = manager.post(
        f"/patients/{home.patient_id}/assessments", {"instrument": "PHQ-9", "answers": answers}
    )
    body = response.get_json()
    assert body["risk"] is True and body["risk_queue_item_id"] is not None
    item = sql.get(QueueItem, body["risk_queue_item_id"])
    assert (item.kind, item.priority, item.status, item.assessment_id) == (
        "risk_answer",
        "urgent",
        "open",
        body["id"],
    )
    assert item.reason == "PHQ-9 item 9 answered 2 (clinic entry by staff)"
    page = sql.scalar(select(Page).where(Page.queue_item_id == item.id))
    assert (page.level, page.staff_id) == (0, home.manager.id)  # in hours: the care manager
    assert [call.to for call in _recorder.sent] == [home.manager.phone]  # sent after commit


def test_partial_answers_are_kept_without_a_total(manager, home):
    answers = [1, None, 2, None, None, None, None, None, None]
    body = manager.post(
        f"/patients/{home.patient_id}/assessments", {"instrument": "PHQ-9", "answers": answers}
    ).get_json()
    assert (body["status"], body["total"], body["answers"]) == ("partial", None, answers)
    problem_of(manager.get(f"/assessments/{body['id']}/fhir"), 409)


def test_invalid_answers_are_refused(manager, home):
    path = f"/patients/{home.patient_id}/assessments"
    assert fields_of(manager.post(path, {"instrument": "PHQ-9", "answers": [1] * 7})) == {"answers"}
    assert fields_of(manager.post(path, {"instrument": "GAD-7", "answers": [None] * 7})) == {
        "answers"
    }
    assert "answers.0" in fields_of(manager.post(path, {"instrument": "PHQ-2", "answers": [4, 0]}))
    late = {**PHQ9, "taken_at": "2026-03-04T15:00:00Z"}
    assert fields_of(manager.post(path, late)) == {"taken_at"}
    naive = {**PHQ9, "taken_at": "2026-03-03T09:00:00"}
    assert fields_of(manager.post(path, naive)) == {"taken_at"}


def test_list_read_and_fhir(api_as, home, sql):
    manager = api_as("care_manager")
    made = manager.post(f"/patients/{home.patient_id}/assessments", PHQ9).get_json()
    manager.post(
        f"/patients/{home.patient_id}/assessments", {"instrument": "GAD-7", "answers": [1] * 7}
    )
    consultant = api_as("psychiatric_consultant")
    listed = consultant.get(f"/patients/{home.patient_id}/assessments").get_json()
    assert [a["instrument"] for a in listed["items"]] == ["PHQ-9", "GAD-7"]
    only = consultant.get(
        f"/patients/{home.patient_id}/assessments", query_string={"instrument": "GAD-7"}
    ).get_json()
    assert [a["total"] for a in only["items"]] == [7]
    assert consultant.get(f"/assessments/{made['id']}").get_json() == made
    response = consultant.get(f"/assessments/{made['id']}/fhir")
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    bundle = response.get_json()
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "collection")
    qr, observation = (entry["resource"] for entry in bundle["entry"])
    assert qr["resourceType"] == "QuestionnaireResponse" and qr["id"] == str(made["id"])
    assert qr["subject"] == {"reference": f"Patient/{home.patient_id}"}
    assert len(qr["item"]) == 9
    assert observation["valueInteger"] == 10
    assert observation["code"]["coding"][0]["code"] == "44261-6"
    actions = set(
        sql.scalars(select(AuditEvent.action).where(AuditEvent.api_token_id.is_not(None)))
    )
    assert {"api_assessment_record", "api_assessment_view", "api_assessment_fhir"} <= actions


def test_roles_and_other_clinics(api_as, home, away, sql):
    theirs = Assessment(
        patient_id=away.patient_id,
        instrument="GAD-7",
        channel="sms",
        status="in_progress",
        started_at=home.patient.created_at,
    )
    sql.add(theirs)
    sql.commit()
    theirs_id = theirs.id
    for role in ("care_manager", "treating_clinician", "psychiatric_consultant", "clinic_lead"):
        api = api_as(role)
        problem_of(api.get(f"/assessments/{theirs_id}"), 404)
        problem_of(api.get(f"/assessments/{theirs_id}/fhir"), 404)
        problem_of(api.get(f"/patients/{away.patient_id}/assessments"), 404)
    for role in ("psychiatric_consultant", "clinic_lead", "admin"):
        problem_of(api_as(role).post(f"/patients/{home.patient_id}/assessments", PHQ9), 403)
    problem_of(api_as("care_manager").post(f"/patients/{away.patient_id}/assessments", PHQ9), 404)
    problem_of(api_as("admin").get(f"/patients/{home.patient_id}/assessments"), 403)
