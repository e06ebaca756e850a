"""Starting a text check-in through the API."""

from __future__ import annotations

from sqlalchemy import select

from cocm.models import Assessment, AuditEvent, Conversation, Message, OutboxItem, Patient
from tests.staff_app.api.helpers import NIGHT, fields_of, problem_of


def test_start_now_inside_the_window(manager, home, sql):
    response = manager.post(f"/patients/{home.patient_id}/checkins", {"instrument": "PHQ-9"})
    assert response.status_code == 202, response.text
    body = response.get_json()
    assert body["sends_now"] is True and body["send_at"] == "2026-03-03T15:00:00Z"
    assert response.headers["Location"] == f"/api/v1/assessments/{body['assessment_id']}"
    conversation = sql.get(Conversation, body["conversation_id"])
    assert (conversation.status, conversation.instrument) == ("open", "PHQ-9")
    message = sql.scalar(select(Message).where(Message.conversation_id == conversation.id))
    assert message.kind == "checkin_open" and message.status == "queued"
    assessment = manager.get(response.headers["Location"].removeprefix("/api/v1")).get_json()
    assert (assessment["status"], assessment["channel"]) == ("in_progress", "sms")
    event = sql.scalar(select(AuditEvent).where(AuditEvent.action == "api_checkin_start"))
    assert event.object_id == conversation.id and event.patient_id == home.patient_id


def test_at_night_it_waits_for_the_window(manager, home, frozen, sql):
    frozen.move_to(NIGHT)
    body = manager.post(f"/patients/{home.patient_id}/checkins", {"instrument": "GAD-7"}).get_json()
    assert body["sends_now"] is False
    assert body["send_at"] == "2026-03-04T13:00:00Z"  # 08:00 in New York
    item = sql.scalar(
        select(OutboxItem)
        .join(Message, Message.id == OutboxItem.message_id)
        .where(Message.conversation_id == body["conversation_id"])
    )
    assert item.not_before.isoformat() == "2026-03-04T13:00:00+00:00"


def test_a_new_checkin_supersedes_the_open_one(manager, home, sql):
    first = manager.post(f"/patients/{home.patient_id}/checkins", {"instrument": "PHQ-9"})
    second = manager.post(f"/patients/{home.patient_id}/checkins", {"instrument": "GAD-7"})
    assert second.status_code == 202
    old = sql.get(Conversation, first.get_json()["conversation_id"])
    assert old.status == "superseded"
    assert sql.get(Assessment, first.get_json()["assessment_id"]).status == "superseded"


def test_a_patient_who_cannot_be_texted_is_a_conflict(manager, home, sql):
    sql.get(Patient, home.patient_id).sms_opted_out = True
    sql.commit()
    body = problem_of(
        manager.post(f"/patients/{home.patient_id}/checkins", {"instrument": "PHQ-9"}), 409
    )
    assert "STOP" in body["detail"]
    assert sql.scalar(select(Conversation)) is None


def test_refusals(api_as, home, away):
    manager = api_as("care_manager")
    assert fields_of(
        manager.post(f"/patients/{home.patient_id}/checkins", {"instrument": "PHQ-8"})
    ) == {"instrument"}
    problem_of(manager.post(f"/patients/{away.patient_id}/checkins", {"instrument": "PHQ-9"}), 404)
    for role in ("treating_clinician", "psychiatric_consultant", "clinic_lead", "admin"):
        response = api_as(role).post(
            f"/patients/{home.patient_id}/checkins", {"instrument": "PHQ-9"}
        )
        problem_of(response, 403)
