"""Time entries through the API: log minutes, list a month."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from cocm.models import AuditEvent, TimeEntry
from tests.staff_app.api.helpers import fields_of, problem_of

TWENTY = {"performed_on": "2026-03-02", "minutes": 20, "activity": "outreach", "note": "Call"}


def test_log_minutes_under_each_role_that_logs_time(api_as, home, sql):
    for role in ("care_manager", "treating_clinician", "psychiatric_consultant"):
        response = api_as(role).post(f"/patients/{home.patient_id}/time-entries", TWENTY)
        assert response.status_code == 201, response.text
        body = response.get_json()
        assert (body["role"], body["minutes"], body["episode_id"]) == (
            role,
            20,
            home.episode_id,
        )
    logged = sql.scalars(
        select(AuditEvent).where(AuditEvent.action == "time_logged").order_by(AuditEvent.id)
    ).all()
    # The domain's own audit event carries the token too.
    assert len(logged) == 3 and all(event.api_token_id is not None for event in logged)


def test_roles_that_do_not_log_time_and_other_clinics(api_as, home, away):
    for role in ("clinic_lead", "admin"):
        problem_of(api_as(role).post(f"/patients/{home.patient_id}/time-entries", TWENTY), 403)
    manager = api_as("care_manager")
    problem_of(manager.post(f"/patients/{away.patient_id}/time-entries", TWENTY), 404)
    month = {"month": "2026-03"}
    problem_of(manager.get(f"/patients/{away.patient_id}/time-entries", query_string=month), 404)


def test_invalid_minutes_and_days(manager, home):
    path = f"/patients/{home.patient_id}/time-entries"
    assert fields_of(manager.post(path, {**TWENTY, "minutes": 0})) == {"minutes"}
    assert fields_of(manager.post(path, {**TWENTY, "minutes": "20"})) == {"minutes"}
    assert fields_of(manager.post(path, {**TWENTY, "performed_on": "2026-03-04"})) == {
        "performed_on"
    }
    assert fields_of(manager.post(path, {**TWENTY, "activity": "golf"})) == {"activity"}


def test_list_a_month(api_as, home, sql):
    for day, minutes in ((date(2026, 2, 27), 5), (date(2026, 3, 1), 10), (date(2026, 3, 3), 12)):
        sql.add(
            TimeEntry(
                patient_id=home.patient_id,
                staff_id=home.manager.id,
                role="care_manager",
                activity="outreach",
                performed_on=day,
                minutes=minutes,
            )
        )
    sql.commit()
    lead = api_as("clinic_lead")
    path = f"/patients/{home.patient_id}/time-entries"
    march = lead.get(path, query_string={"month": "2026-03"}).get_json()
    assert [e["minutes"] for e in march["items"]] == [10, 12]
    page = lead.get(path, query_string={"month": "2026-03", "limit": 1}).get_json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = lead.get(
        path, query_string={"month": "2026-03", "limit": 1, "cursor": page["next_cursor"]}
    ).get_json()
    assert [e["minutes"] for e in rest["items"]] == [12] and rest["next_cursor"] is None
    assert fields_of(lead.get(path, query_string={"month": "2026-13"})) == {"month"}
    assert fields_of(lead.get(path)) == {"month"}
