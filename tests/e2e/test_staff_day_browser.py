"""A care manager's morning in a real browser: the urgent item, then a contact note."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, sign_in

pytestmark = pytest.mark.browser


def _shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"staff-{name}.png"), full_page=True)


def test_care_manager_clears_the_urgent_item_with_an_outcome(page, live_server):
    sign_in(page, live_server, "james.chen@demo.cocm.example")
    page.goto(f"{live_server}/staff/queue")
    _shot(page, "queue")
    first = page.locator("a.kind").first
    assert "risk" in first.inner_text().lower()  # urgent first
    first.click()
    page.get_by_role("button", name=re.compile("^Claim")).click()
    # Closing without an outcome is refused, and the typed note is kept.
    page.locator("#close-note").fill("Called at once; patient safe at home with her sister.")
    page.evaluate(
        "document.querySelectorAll('input[name=outcome]').forEach(e => e.required = false)"
    )
    page.get_by_role("button", name="Close item").click()
    expect(page.locator("body")).to_contain_text("Choose the outcome")
    assert "safe at home" in page.locator("#close-note").input_value()
    page.get_by_label("Reached and safe").check()
    page.get_by_role("button", name="Close item").click()
    _shot(page, "queue-item-closed")
    expect(page.locator("body")).to_contain_text("Closed")
    page.goto(f"{live_server}/staff/queue")
    assert page.locator("a.kind", has_text="Risk answer").count() == 0


def test_contact_note_with_time_and_next_contact_updates_the_chart(page, live_server):
    sign_in(page, live_server, "maria.lopez@demo.cocm.example")
    page.goto(f"{live_server}/staff/registry")
    _shot(page, "registry")
    page.locator("table a[href*='/patients/']").first.click()
    chart_url = page.url
    page.get_by_role("link", name="Record a contact").click()
    page.get_by_label("How", exact=True).select_option("phone")
    page.get_by_label("Outcome", exact=True).select_option("reached")
    page.get_by_label("Note", exact=True).fill(
        "Mood better; walked twice this week. Reviewed the sleep plan."
    )
    page.get_by_label("Minutes", exact=True).fill("23")
    page.get_by_label("Next contact", exact=True).fill("2030-01-15T10:30")
    page.get_by_label("Next action").fill("Check on sleep routine")
    page.get_by_role("button", name="Save contact").click()
    page.wait_for_url(lambda url: "/contacts/new" not in url)
    _shot(page, "contact-saved")
    page.goto(chart_url)
    content = page.content()
    assert "Check on sleep routine" in content
    assert "walked twice this week" in content
