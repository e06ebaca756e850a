"""Forms without a CSRF token are refused, on every POST route of both apps.

The walk enumerates the URL map, so a new form route is covered the day it is added. The JSON
API (bearer tokens, no cookies; its own tests) and Twilio's webhooks (signed instead; refused
unsigned here) are the only exemptions.
"""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter

from tests.cocm.clinics.helpers import Team, csrf, signed_in
from tests.factories import PASSWORD

PLACEHOLDERS = {"action": "deactivate", "month": "2026-03", "yyyy_mm": "2026-03"}


def _url(app, rule) -> str:
    values = {}
    for name in rule.arguments:
        converter = rule._converters.get(name)
        values[name] = 1 if isinstance(converter, IntegerConverter) else PLACEHOLDERS.get(name, "x")
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def _posts(app, *, skip_prefixes: tuple[str, ...]):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.rule.startswith(skip_prefixes):
            yield rule


def _refused(response, where: str) -> None:
    assert response.status_code == 400, f"{where} -> {response.status_code}"


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_every_staff_form_without_a_token_is_refused(session, staff_app, role):
    team = Team()
    session.commit()  # a refused request rolls back what was not committed
    staff_app.config["WTF_CSRF_ENABLED"] = True
    client = signed_in(staff_app, getattr(team, role))
    home = client.get("/")  # a page with a form: the session now holds a real token
    assert home.status_code == 200 and 'name="csrf_token"' in home.text
    walked = 0
    for rule in _posts(staff_app, skip_prefixes=("/api/",)):
        url = _url(staff_app, rule)
        missing = client.post(url, data={})
        _refused(missing, f"POST {url} as {role}")
        assert b"CSRF token is missing" in missing.data, url  # refused for that, not another
        # A token from another session is no better than none.
        forged = client.post(url, data={"csrf_token": "forged-token"})
        _refused(forged, f"forged POST {url}")
        assert b"CSRF token is invalid" in forged.data, url
        walked += 1
    assert walked >= 30  # the staff app's forms, all of them
    # The refusals changed nothing: the session is still signed in and still works.
    assert client.get("/").status_code == 200


def test_staff_sign_in_needs_the_token_too(session, staff_app):
    team = Team()
    session.commit()  # a refused request rolls back what was not committed
    staff_app.config["WTF_CSRF_ENABLED"] = True
    client = staff_app.test_client()
    form = {"email": team.manager.email, "password": PASSWORD}
    _refused(client.post("/sign-in", data=form), "sign-in without a token")
    page = client.get("/sign-in")
    assert client.post("/sign-in", data={**form, "csrf_token": csrf(page.text)}).status_code == 302


def test_every_patient_form_without_a_token_is_refused(session, patient_app):
    client = patient_app.test_client()
    client.get("/")  # a session of its own, as a browser would have
    walked = 0
    for rule in _posts(patient_app, skip_prefixes=("/twilio/",)):
        url = _url(patient_app, rule)
        _refused(client.post(url, data={"phone": "+12025550142"}), f"POST {url}")
        walked += 1
    assert walked >= 1
    for rule in _posts(patient_app, skip_prefixes=()):
        if rule.rule.startswith("/twilio/"):
            response = client.post(_url(patient_app, rule), data={"Body": "hi"})
            assert response.status_code == 403, rule.rule  # no signature, no entry


def test_a_form_posted_from_another_site_is_refused_over_https(session, staff_app):
    """Over https the token is not enough: the Referer must be one of our own pages (our
    Referrer-Policy, same-origin, lets the browser send it; another site's page cannot)."""
    team = Team()
    session.commit()
    staff_app.config["WTF_CSRF_ENABLED"] = True
    client = staff_app.test_client()
    base = "https://cocm.example.org"
    page = client.get("/sign-in", base_url=base)
    form = {"email": team.manager.email, "password": PASSWORD, "csrf_token": csrf(page.text)}
    evil = client.post(
        "/sign-in", data=form, base_url=base, headers={"Referer": "https://evil.example/x"}
    )
    _refused(evil, "sign-in posted from another site")
    ours = client.post("/sign-in", data=form, base_url=base, headers={"Referer": f"{base}/sign-in"})
    assert ours.status_code == 302
