"""A day in the clinic, end to end in headless Chromium over the demo, with a screenshot per step:
a patient answers a PHQ-9 by text with item 9 positive; the care manager acknowledges and closes
the urgent item with an outcome (and logs the call); the consultant reviews the patient; the
clinician approves the recommendation; the care manager closes the loop; the billing month shows
the minutes and the code."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cocm import db
from cocm.models import CaseReview, Patient, QueueItem, Recommendation
from tests.e2e.conftest import ARTIFACTS, sign_in
from tests.jobs.test_exactly_once import zone_where_it_is_midday

pytestmark = pytest.mark.browser


def _step(page, number, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"day-{number:02d}-{name}.png"), full_page=True)


def _sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")


def test_a_day_in_the_clinic(page, live_server):
    with db.session_scope() as session:
        patient = session.scalars(
            select(Patient)
            .join(Patient.clinic)
            .where(Patient.sms_opted_out.is_(False), Patient.language == "en")
            .where(Patient.clinic.has(slug="riverside"))
            .order_by(Patient.id)
        ).first()
        patient.timezone = zone_where_it_is_midday(datetime.now(UTC))
        ids = {"patient": patient.id, "clinic": patient.clinic_id}
        name = f"{patient.last_name}, {patient.first_name}"
        full_name = f"{patient.first_name} {patient.last_name}"
        manager = patient.care_manager.email
    body = page.locator("body")

    # 1. The patient answers a PHQ-9 by text; item 9 is "more than half the days".
    sign_in(page, live_server, manager)
    page.goto(f"{live_server}/staff/simulator/patients/{ids['patient']}")
    page.get_by_role("button", name="Start a PHQ-9 check-in now").click()
    page.get_by_role("button", name="Deliver due messages now").click()
    expect(body).to_contain_text("checkin open · sent")
    page.get_by_label("Text from").fill("1 1 2 1 1 1 1 1 2")
    page.get_by_role("button", name="Send as patient").click()
    expect(body).to_contain_text("988")  # the safety reply went back at once
    _step(page, 1, "patient-answers-by-text")

    # 2. The care manager acknowledges and closes the urgent item, then logs the call.
    with db.session_scope() as session:
        item_id = session.scalar(
            select(QueueItem.id).where(
                QueueItem.patient_id == ids["patient"],
                QueueItem.priority == "urgent",
                QueueItem.status == "open",
            )
        )
    assert item_id is not None
    page.goto(f"{live_server}/staff/queue/{item_id}")
    page.get_by_role("button", name="Claim").first.click()
    page.get_by_label("Safety plan reviewed").check()
    page.locator("#close-note").fill("Called within 10 minutes; reviewed the safety plan together.")
    page.get_by_role("button", name="Close item").click()
    expect(body).to_contain_text("Closed")
    _step(page, 2, "urgent-item-closed")
    page.goto(f"{live_server}/staff/patients/{ids['patient']}/contacts/new")
    page.get_by_label("How", exact=True).select_option("phone")
    page.get_by_label("Outcome", exact=True).select_option("reached")
    page.get_by_label("Note", exact=True).fill(
        "Safety call after the check-in; safety plan reviewed."
    )
    page.get_by_label("Minutes", exact=True).fill("35")
    page.get_by_label("Next contact", exact=True).fill("2030-01-15T10:30")
    page.get_by_label("Next action").fill("Check in on the safety plan")
    page.get_by_role("button", name="Save contact").click()
    page.wait_for_url(lambda url: "/contacts/new" not in url)
    _sign_out(page)

    # 3. The consultant reviews the patient from the generated agenda.
    with db.session_scope() as session:
        review_id = session.scalar(
            select(CaseReview.id)
            .where(CaseReview.clinic_id == ids["clinic"], CaseReview.status == "planned")
            .order_by(CaseReview.scheduled_for)
        )
    sign_in(page, live_server, "dr.nguyen@demo.cocm.example")
    page.goto(f"{live_server}/staff/case-reviews/{review_id}")
    article = page.locator("article.agenda-item", has_text=name)
    expect(article).to_be_visible()
    article.locator("summary").click()
    article.get_by_label("Assessment").fill("Passive ideation, no plan; partial response so far.")
    article.get_by_label("Minutes spent").fill("12")
    article.get_by_label("Recommendation").first.select_option("medication")
    article.get_by_label("Detail").first.fill("Increase sertraline")
    article.get_by_label("Dose (medication)").first.fill("100 mg once daily")
    article.get_by_role("button", name="Save for").click()
    expect(page.locator("article.agenda-item", has_text=name)).to_contain_text(
        "Increase sertraline"
    )
    _step(page, 3, "consultant-review")
    _sign_out(page)
    with db.session_scope() as session:
        rec_id = session.scalar(
            select(Recommendation.id)
            .where(Recommendation.patient_id == ids["patient"])
            .order_by(Recommendation.id.desc())
        )

    # 4. The treating clinician approves it.
    sign_in(page, live_server, "dr.patel@demo.cocm.example")
    page.goto(f"{live_server}/staff/case-reviews/inbox")
    card = page.locator(f"#rec-{rec_id}")
    card.get_by_label("Approve", exact=True).check()
    card.get_by_role("button", name="Save decision").click()
    expect(page.locator(f"#rec-{rec_id}")).to_have_count(0)
    _step(page, 4, "clinician-approves")
    _sign_out(page)

    # 5. The care manager tells the patient and closes the loop.
    sign_in(page, live_server, manager)
    page.goto(f"{live_server}/staff/case-reviews/recommendations/{rec_id}/communicate")
    page.get_by_label("How the patient was told").select_option(index=1)
    page.get_by_label("No change to the plan").check()
    page.get_by_role("button", name="Save: loop closed").click()
    page.wait_for_url(lambda url: "/communicate" not in url)
    _step(page, 5, "loop-closed")
    with db.session_scope() as session:
        assert session.get(Recommendation, rec_id).status == "communicated"
    _sign_out(page)

    # 6. The billing month shows the minutes and the code.
    month = datetime.now(UTC).strftime("%Y-%m")
    sign_in(page, live_server, "sam.rivera@demo.cocm.example")
    page.goto(f"{live_server}/staff/billing?month={month}&clinic={ids['clinic']}")
    row = page.locator("tr", has_text=full_name)
    expect(row).to_be_visible()
    text = row.inner_text()
    assert any(code in text for code in ("99492", "99493", "99494", "G2214", "99484")), text
    _step(page, 6, "billing-month")
