"""A PHQ-9 check-in by text, end to end in the demo, through the staff SMS simulator."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cocm import db
from cocm.models import Assessment, Patient
from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.jobs.test_exactly_once import zone_where_it_is_midday

pytestmark = pytest.mark.browser


def test_phq9_by_text_through_the_simulator_lands_in_the_chart(page, live_server):
    with db.session_scope() as session:
        patient = session.scalars(
            select(Patient).where(Patient.sms_opted_out.is_(False)).order_by(Patient.id)
        ).first()
        # Put the patient where it is daytime now, so the opening text may go at once.
        patient.timezone = zone_where_it_is_midday(datetime.now(UTC))
        patient_id = patient.id
        manager = patient.care_manager.email

    sign_in(page, live_server, manager)
    page.goto(f"{live_server}/staff/simulator/patients/{patient_id}")
    page.get_by_role("button", name="Start a PHQ-9 check-in now").click()
    page.get_by_role("button", name="Deliver due messages now").click()
    expect(page.locator("body")).to_contain_text("checkin open · sent")  # first question out
    page.get_by_label("Text from").fill("1")
    page.get_by_role("button", name="Send as patient").click()
    page.get_by_label("Text from").fill("2 1 1 1 0 1 1 0")  # the other eight at once
    page.get_by_role("button", name="Send as patient").click()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "simulator-phq9.png"), full_page=True)

    with db.session_scope() as session:
        latest = session.scalars(
            select(Assessment)
            .where(Assessment.patient_id == patient_id, Assessment.instrument == "PHQ-9")
            .order_by(Assessment.id.desc())
        ).first()
        assert (latest.channel, latest.status, latest.total) == ("sms", "completed", 8)
    expect(page.locator("body")).to_contain_text("checkin complete")
    page.goto(f"{live_server}/staff/patients/{patient_id}")
    assert "PHQ-9" in page.content() and "<svg" in page.content()
