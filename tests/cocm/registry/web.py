"""Signing in and posting forms with the Flask test client (for the staff page tests)."""

from __future__ import annotations

import re

from tests.factories import PASSWORD

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def sign_in(client, staff) -> None:
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in", data={"email": staff.email, "password": PASSWORD, "csrf_token": csrf(page.text)}
    )
    assert response.status_code == 302, response.text


def post(client, url: str, data: dict | None = None, *, token_from: str = "/"):
    """POST ``data`` with a CSRF token taken from the page at ``token_from``."""
    token = csrf(client.get(token_from).text)
    return client.post(url, data={**(data or {}), "csrf_token": token})
