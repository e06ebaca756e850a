"""Driving the portal over HTTP the way a browser does: CSRF tokens from the pages, the code
from the text that was sent."""

from __future__ import annotations

import re

from tests.cocm.portal.helpers import PHONE_TYPED, last_code

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf(html: str) -> str:
    return _CSRF.search(html).group(1)


def post_form(client, path: str, data: dict, *, page: str | None = None, **kwargs):
    """POST ``data`` to ``path`` with a CSRF token taken from ``page`` (default: ``path``)."""
    html = client.get(page or path).text
    return client.post(path, data={"csrf_token": csrf(html), **data}, **kwargs)


def request_code(client, phone: str = PHONE_TYPED):
    # buffered: the response is closed, and the code text goes out as it does after a real one.
    return post_form(client, "/portal/sign-in", {"phone": phone}, buffered=True)


def sign_in(client, patient_id: int, phone: str = PHONE_TYPED):
    request_code(client, phone)
    response = post_form(client, "/portal/code", {"code": last_code(patient_id)})
    assert response.status_code == 302, response.text
    assert response.headers["Location"].endswith("/portal")
    return response
