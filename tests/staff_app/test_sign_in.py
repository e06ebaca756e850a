import re

from freezegun import freeze_time

from tests.factories import PASSWORD, ClinicFactory, staff_with_role


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def _sign_in(client, email, password):
    page = client.get("/sign-in")
    return client.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": _csrf(page.text)}
    )


def test_sign_in_page_has_security_headers(staff_app):
    response = staff_app.test_client().get("/sign-in")
    assert response.status_code == 200
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_sign_in_and_out(staff_app, session):
    staff = staff_with_role(ClinicFactory(), "care_manager")
    client = staff_app.test_client()
    assert client.get("/").status_code == 302
    response = _sign_in(client, staff.email, PASSWORD)
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie
    assert staff.full_name in client.get("/").text


def test_form_without_csrf_token_is_refused(staff_app, session):
    staff = staff_with_role(ClinicFactory(), "care_manager")
    response = staff_app.test_client().post(
        "/sign-in", data={"email": staff.email, "password": PASSWORD}
    )
    assert response.status_code == 400


def test_five_failures_lock_the_account_for_fifteen_minutes(staff_app, session):
    staff = staff_with_role(ClinicFactory(), "care_manager")
    client = staff_app.test_client()
    with freeze_time("2026-03-02 15:00:00"):
        for _ in range(5):
            assert _sign_in(client, staff.email, "wrong-password").status_code == 401
        locked = _sign_in(client, staff.email, PASSWORD)
        assert locked.status_code == 401 and "Too many failed attempts" in locked.text
    with freeze_time("2026-03-02 15:16:00"):
        assert _sign_in(client, staff.email, PASSWORD).status_code == 302


def test_idle_session_signs_out(staff_app, session):
    staff = staff_with_role(ClinicFactory(), "care_manager")
    client = staff_app.test_client()
    with freeze_time("2026-03-02 15:00:00"):
        _sign_in(client, staff.email, PASSWORD)
        assert client.get("/").status_code == 200
    with freeze_time("2026-03-02 15:14:00"):
        assert client.get("/").status_code == 200
    with freeze_time("2026-03-02 15:30:00"):
        response = client.get("/")
        assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_csrf_over_https_works_with_our_referrer_policy(staff_app, session):
    """Flask-WTF checks the Referer on https; our Referrer-Policy must let our own pages send it."""
    staff = staff_with_role(ClinicFactory(), "care_manager")
    client = staff_app.test_client()
    page = client.get("/sign-in", base_url="https://cocm.example.org")
    assert page.headers["Referrer-Policy"] == "same-origin"
    response = client.post(
        "/sign-in",
        base_url="https://cocm.example.org",
        data={"email": staff.email, "password": PASSWORD, "csrf_token": _csrf(page.text)},
        headers={"Referer": "https://cocm.example.org/sign-in"},
    )
    assert response.status_code == 302
