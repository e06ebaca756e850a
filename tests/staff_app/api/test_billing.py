"""The billing month through the API."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from cocm.models import AuditEvent, CarePlan, TimeEntry
from tests.staff_app.api.helpers import fields_of, problem_of


def _minutes(sql, clinic, minutes: int) -> None:
    sql.add(
        CarePlan(
            episode_id=clinic.episode_id, version=1, goals="g", created_by_id=clinic.manager.id
        )
    )
    sql.add(
        TimeEntry(
            patient_id=clinic.patient_id,
            episode_id=clinic.episode_id,
            staff_id=clinic.manager.id,
            role="care_manager",
            activity="outreach",
            performed_on=date(2026, 3, 2),
            minutes=minutes,
        )
    )
    sql.commit()


def test_the_month_of_your_clinics(api_as, home, away, sql):
    _minutes(sql, home, 40)
    _minutes(sql, away, 20)
    for role in ("clinic_lead", "admin"):
        response = api_as(role).get("/billing/2026-03")
        assert response.status_code == 200, response.text
        [row] = response.get_json()["items"]
        assert (row["clinic"], row["patient_id"], row["minutes"]) == (
            home.slug,
            home.patient_id,
            40,
        )
        assert row["codes"] == [{"code": "99492", "units": 1}] and row["billable"] is True
        assert row["month_kind"] == "initial"
        assert row["month_open"] is True and row["missing"] == []
    event = sql.scalar(select(AuditEvent).where(AuditEvent.action == "api_billing_month"))
    assert event.clinic_id == home.clinic_id and event.detail["month"] == "2026-03"


def test_missing_evidence_is_listed(api_as, home):
    [row] = api_as("clinic_lead").get("/billing/2026-03").get_json()["items"]
    assert row["codes"] == [] and "no care plan on record by the end of the month" in row["missing"]


def test_refusals(api_as, home, away):
    for role in ("care_manager", "treating_clinician", "psychiatric_consultant"):
        problem_of(api_as(role).get("/billing/2026-03"), 403)
    lead = api_as("clinic_lead")
    assert fields_of(lead.get("/billing/2026-3")) == {"month"}
    assert fields_of(lead.get("/billing/2026-03", query_string={"clinic": away.slug})) == {"clinic"}
    same = lead.get("/billing/2026-03", query_string={"clinic": home.slug})
    assert [r["clinic"] for r in same.get_json()["items"]] == [home.slug]
