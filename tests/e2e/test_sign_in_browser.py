"""A new user's first minute, in a real browser."""

import pytest

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.browser


def test_care_manager_signs_in_and_out(page, live_server):
    sign_in(page, live_server, "maria.lopez@demo.cocm.example")
    assert page.get_by_role("heading", name="Welcome, Maria Lopez").is_visible() or (
        "Maria Lopez" in page.content()
    )
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/staff/sign-in")
    assert page.get_by_role("button", name="Sign in").is_visible()


def test_wrong_password_shows_a_message_and_keeps_the_email(page, live_server):
    sign_in(page, live_server, "maria.lopez@demo.cocm.example", password="not-the-password")
    assert page.get_by_role("alert").inner_text().startswith("That e-mail and password")
    assert page.get_by_label("E-mail").input_value() == "maria.lopez@demo.cocm.example"


def test_patient_app_front_page(page, live_server):
    page.goto(f"{live_server}/")
    assert "988" in page.content()
    errors = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.reload()
    assert not [e for e in errors if "Content Security Policy" in e]
