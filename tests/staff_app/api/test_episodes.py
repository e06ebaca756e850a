"""Episodes through the API: start, read, change status, close."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from cocm.models import (
    AuditEvent,
    CarePlan,
    Clinic,
    Episode,
    MeasurementSchedule,
    Message,
    Referral,
)
from tests.factories import PatientFactory
from tests.staff_app.api.helpers import T0, fields_of, problem_of

START = {
    "program": "cocm",
    "initiating_visit_on": "2026-02-20",
    "consent_on": "2026-03-03",
    "consent_method": "verbal",
    "care_plan": {"goals": "Sleep through the night", "safety_steps": "Call 988"},
}


def _new_patient(home, sql) -> int:
    """A patient on record without an episode (committed; their id)."""
    patient_id = PatientFactory(clinic=home.clinic, care_manager_id=home.manager.id).id
    sql.commit()
    return patient_id


def test_start_an_episode(manager, home, sql):
    patient_id = _new_patient(home, sql)
    response = manager.post(f"/patients/{patient_id}/episodes", START)
    assert response.status_code == 201, response.text
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/episodes/{body['id']}"
    assert body["status"] == "enrolled" and body["started_on"] == "2026-03-03"
    assert body["care_plan_version"] == 1 and body["consent_method"] == "verbal"
    plan = sql.scalar(select(CarePlan).where(CarePlan.episode_id == body["id"]))
    assert plan.signed_at is None and plan.created_by_id == home.manager.id
    due = dict(
        sql.execute(
            select(MeasurementSchedule.instrument, MeasurementSchedule.next_due_at).where(
                MeasurementSchedule.episode_id == body["id"]
            )
        ).all()
    )
    assert due["PHQ-9"] == T0 and due["GAD-7"] > T0  # the baseline now; GAD-7 after it
    kinds = sql.scalars(select(Message.kind).where(Message.patient_id == patient_id)).all()
    assert kinds == ["welcome"]
    event = sql.scalar(select(AuditEvent).where(AuditEvent.action == "api_episode_create"))
    assert event.object_id == body["id"] and event.api_token_id is not None
    read = manager.get(f"/episodes/{body['id']}").get_json()
    assert read == body


def test_one_open_episode_and_a_ready_clinic(manager, home, sql):
    problem_of(manager.post(f"/patients/{home.patient_id}/episodes", START), 409)
    patient_id = _new_patient(home, sql)
    sql.get(Clinic, home.clinic_id).review_weekday = None
    sql.commit()
    body = problem_of(manager.post(f"/patients/{patient_id}/episodes", START), 409)
    assert "Case review day and time" in body["detail"]


def test_dates_are_checked_like_enrollment(manager, home, sql):
    patient_id = _new_patient(home, sql)
    stale = {**START, "initiating_visit_on": "2024-01-01", "consent_on": "2026-04-01"}
    assert fields_of(manager.post(f"/patients/{patient_id}/episodes", stale)) == {
        "initiating_visit_on",
        "consent_on",
    }
    wrong = {**START, "consent_method": "telepathy", "cadence_days": 3}
    assert fields_of(manager.post(f"/patients/{patient_id}/episodes", wrong)) == {
        "consent_method",
        "cadence_days",
    }
    assert "care_plan.goals" in fields_of(
        manager.post(f"/patients/{patient_id}/episodes", {**START, "care_plan": {}})
    )


def test_roles_and_other_clinics(api_as, home, away, sql):
    patient_id = _new_patient(home, sql)
    for role in ("treating_clinician", "psychiatric_consultant", "clinic_lead", "admin"):
        problem_of(api_as(role).post(f"/patients/{patient_id}/episodes", START), 403)
    manager = api_as("care_manager")
    problem_of(manager.post(f"/patients/{away.patient_id}/episodes", START), 404)
    problem_of(manager.get(f"/episodes/{away.episode_id}"), 404)
    problem_of(manager.patch(f"/episodes/{away.episode_id}", {"status": "active"}), 404)
    close = {"outcome": "completed", "note": "done"}
    problem_of(manager.post(f"/episodes/{away.episode_id}/close", close), 404)
    for role in ("treating_clinician", "psychiatric_consultant", "clinic_lead"):
        assert api_as(role).get(f"/episodes/{home.episode_id}").status_code == 200
        problem_of(api_as(role).patch(f"/episodes/{home.episode_id}", {"status": "active"}), 403)
    listed = manager.get(f"/patients/{home.patient_id}/episodes").get_json()
    assert [e["id"] for e in listed["items"]] == [home.episode_id]


def test_status_changes(manager, home, sql):
    episode = sql.get(Episode, home.episode_id)
    episode.status = "enrolled"
    sql.commit()
    response = manager.patch(f"/episodes/{home.episode_id}", {"status": "active"})
    assert response.get_json()["status"] == "active"
    no_note = manager.patch(f"/episodes/{home.episode_id}", {"status": "relapse_prevention"})
    assert fields_of(no_note) == {"note"}
    stepped = manager.patch(
        f"/episodes/{home.episode_id}", {"status": "relapse_prevention", "note": "In remission"}
    ).get_json()
    assert stepped["status"] == "relapse_prevention"
    assert stepped["care_plan_version"] == 1  # the step-down's new plan version
    back = manager.patch(f"/episodes/{home.episode_id}", {"status": "active"}).get_json()
    assert back["status"] == "active"
    assert fields_of(manager.patch(f"/episodes/{home.episode_id}", {"status": "completed"})) == {
        "status"
    }


def test_close_completed_then_nothing_more(manager, home, sql):
    response = manager.post(
        f"/episodes/{home.episode_id}/close", {"outcome": "completed", "note": "Goals met"}
    )
    assert response.status_code == 200, response.text
    body = response.get_json()
    assert (body["status"], body["ended_on"], body["end_reason"]) == (
        "completed",
        "2026-03-03",
        "Goals met",
    )
    active = sql.scalars(
        select(MeasurementSchedule.active).where(MeasurementSchedule.episode_id == home.episode_id)
    ).all()
    assert active == [False, False]
    again = {"outcome": "completed", "note": "again"}
    problem_of(manager.post(f"/episodes/{home.episode_id}/close", again), 409)
    problem_of(manager.patch(f"/episodes/{home.episode_id}", {"status": "active"}), 409)


def test_close_transferred_needs_and_tracks_a_referral(manager, home, sql):
    path = f"/episodes/{home.episode_id}/close"
    plain = {"outcome": "transferred", "note": "Needs specialty care"}
    assert fields_of(manager.post(path, plain)) == {"referral.kind"}
    referral = {"kind": "psychiatry", "to_whom": "County Behavioral Health"}
    response = manager.post(path, {**plain, "referral": referral})
    assert response.get_json()["status"] == "transferred"
    made = sql.scalar(select(Referral).where(Referral.patient_id == home.patient_id))
    assert (made.kind, made.status, made.due_by) == ("psychiatry", "open", date(2026, 4, 2))


def test_disengaged_needs_outreach_attempts(manager, home):
    body = {"outcome": "disengaged", "note": "No answer", "reentry_note": "Call us any time"}
    response = manager.post(f"/episodes/{home.episode_id}/close", body)
    assert "unanswered calls" in problem_of(response, 422)["detail"]
