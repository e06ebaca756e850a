"""The registry and the response queue through the API."""

from __future__ import annotations

from sqlalchemy import select

from cocm.models import AuditEvent, QueueItem
from cocm.response_queue import open_item
from tests.staff_app.api.helpers import T0, fields_of, problem_of


def _item(sql, clinic, priority="normal", kind="needs_person") -> int:
    item = open_item(
        sql(),
        clinic_id=clinic.clinic_id,
        patient_id=clinic.patient_id,
        kind=kind,
        reason="Needs a person",
        now=T0,
        priority=priority,
    )
    sql.commit()
    return item.id


def test_the_registry_of_your_clinics(api_as, home, away, sql):
    for role in ("care_manager", "treating_clinician", "psychiatric_consultant", "clinic_lead"):
        page = api_as(role).get("/registry").get_json()
        assert [row["patient_id"] for row in page["items"]] == [home.patient_id]
        row = page["items"][0]
        assert row["clinic_id"] == home.clinic_id and row["status"] == "active"
        assert set(row["phq9"]) == {"baseline", "baseline_on", "last", "last_on", "severity",
                                    "change"}  # fmt: skip
    problem_of(api_as("admin").get("/registry"), 403)
    manager = api_as("care_manager")
    assert manager.get("/registry", query_string={"flag": "risk"}).get_json()["items"] == []
    done = manager.get("/registry", query_string={"status": ["completed", "transferred"]})
    assert done.get_json()["items"] == []
    assert fields_of(manager.get("/registry", query_string={"flag": "grumpy"})) == {"flag"}
    assert fields_of(manager.get("/registry", query_string={"clinic": away.slug})) == {"clinic"}
    event = sql.scalar(select(AuditEvent).where(AuditEvent.action == "api_registry_view"))
    assert event.detail["patient_ids"] == [home.patient_id]


def test_the_registry_flags_risk_after_an_item_9_answer(manager, home):
    manager.post(
        f"/patients/{home.patient_id}/assessments",
        {"instrument": "PHQ-9", "answers": [1, 1, 1, 1, 1, 1, 1, 1, 1]},
    )
    rows = manager.get("/registry", query_string={"flag": "risk"}).get_json()["items"]
    assert [row["patient_id"] for row in rows] == [home.patient_id]
    assert rows[0]["phq9"]["last"] == 9 and "risk" in rows[0]["flags"]


def test_queue_list_claim_close(api_as, home, away, sql):
    mine = _item(sql, home)
    _item(sql, away)
    manager = api_as("care_manager")
    listed = manager.get("/queue").get_json()
    assert [item["id"] for item in listed["items"]] == [mine]
    claimed = manager.post(f"/queue/{mine}/claim")
    assert claimed.status_code == 200, claimed.text
    assert claimed.get_json()["claimed_by_id"] == home.manager.id
    assert fields_of(manager.post(f"/queue/{mine}/close", {"note": " "})) == {"note"}
    closed = manager.post(f"/queue/{mine}/close", {"note": "Called back, rescheduled"})
    body = closed.get_json()
    assert (body["status"], body["closed_by"]) == ("closed", home.manager.full_name)
    assert manager.get("/queue").get_json()["items"] == []
    assert [i["id"] for i in manager.get("/queue", query_string={"view": "closed"}).json["items"]]
    again = manager.post(f"/queue/{mine}/close", {"note": "twice"})
    assert (
        again.status_code == 200 and again.get_json()["outcome_note"] == "Called back, rescheduled"
    )
    problem_of(manager.post(f"/queue/{mine}/claim"), 409)


def test_urgent_items_close_only_with_an_outcome(manager, home, sql):
    urgent = _item(sql, home, priority="urgent", kind="risk_answer")
    assert fields_of(manager.post(f"/queue/{urgent}/close", {"note": "Called"})) == {"outcome"}
    unreached = {"note": "No answer", "outcome": "unable_to_reach"}
    assert fields_of(manager.post(f"/queue/{urgent}/close", unreached)) == {"next_step"}
    response = manager.post(
        f"/queue/{urgent}/close", {"note": "Safety plan reviewed", "outcome": "reached_safe"}
    )
    assert response.get_json()["outcome"] == "reached_safe"
    item = sql.get(QueueItem, urgent)
    assert item.acknowledged_at == T0 and item.closed_by_id == home.manager.id


def test_who_may_act_on_the_queue(api_as, home, away, sql):
    normal = _item(sql, home)
    urgent = _item(sql, home, priority="urgent", kind="risk_answer")
    theirs = _item(sql, away)
    for role in ("treating_clinician", "psychiatric_consultant", "clinic_lead"):
        api = api_as(role)
        assert api.get("/queue").status_code == 200
        problem_of(api.post(f"/queue/{normal}/claim"), 403)
        problem_of(api.post(f"/queue/{theirs}/claim"), 404)
    # The clinician and the lead are on the escalation chain: they may act on urgent items.
    assert api_as("treating_clinician").post(f"/queue/{urgent}/claim").status_code == 200
    problem_of(api_as("psychiatric_consultant").post(f"/queue/{urgent}/claim"), 403)
    problem_of(api_as("admin").get("/queue"), 403)
    problem_of(api_as("care_manager").post(f"/queue/{theirs}/close", {"note": "x"}), 404)
    problem_of(api_as("care_manager").post(f"/queue/{urgent}/claim"), 409)  # someone has it
