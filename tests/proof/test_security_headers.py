"""Session cookies with the right flags, and the content security policy on every page.

Every GET route of both apps is walked as a signed-in user and anonymously: each answer (a page,
a redirect, a refusal, a 404) carries the CSP without 'unsafe-inline', and X-Frame-Options DENY;
each HTML page served has no inline script, event handler attribute or style attribute, which
the CSP would block anyway (so they would be bugs in a browser). The templates are grepped for
the same, so a page the walk cannot reach is covered too.
"""

from __future__ import annotations

import dataclasses
import re
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from freezegun import freeze_time
from werkzeug.routing import IntegerConverter

from cocm.checkins import start_checkin
from cocm.clock import utcnow
from cocm.models import MeasurementSchedule
from patient_app.views import portal_session
from tests.cocm.clinics.helpers import Team, csrf, signed_in
from tests.factories import PASSWORD, EpisodeFactory, PatientFactory
from tests.staff_app.test_access_walk import _stranger_records

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-03-03 15:00:00"  # 10:00 in New York: inside clinic hours and the texting window
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
SCRIPT_WITH_BODY = re.compile(r"<script\b[^>]*>\s*[^<\s][^<]*</script>", re.IGNORECASE | re.DOTALL)
HANDLER = re.compile(r"<[a-zA-Z][^>]*\son[a-zA-Z]+\s*=", re.DOTALL)
STYLE_ATTRIBUTE = re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.IGNORECASE | re.DOTALL)
JS_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def _directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def _hardened(response, where: str) -> None:
    policy = response.headers.get("Content-Security-Policy")
    assert policy, f"no CSP on {where}"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, where
    directives = _directives(policy)
    assert directives.get("default-src") == ["'self'"], where
    assert directives.get("frame-ancestors") == ["'none'"], where
    assert "*" not in directives.get("script-src", ["*"]), where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    if response.mimetype == "text/html":
        _no_inline(response.get_data(as_text=True), where)


def _no_inline(html: str, where: str) -> None:
    for pattern, what in (
        (INLINE_SCRIPT, "an inline <script>"),
        (SCRIPT_WITH_BODY, "a <script> with content"),
        (HANDLER, "an on* event handler attribute"),
        (STYLE_ATTRIBUTE, "a style= attribute"),
        (JS_URL, "a javascript: URL"),
    ):
        found = pattern.search(html)
        assert found is None, f"{what} in {where}: {html[found.start() : found.start() + 160]!r}"


def _url(app, rule, records: dict) -> str:
    """The rule's URL with our own records' ids where it names one, else a placeholder."""
    values = {}
    for name in rule.arguments:
        if name == "item_id":
            name_in_records = "review_item_id" if "review" in rule.endpoint else "queue_item_id"
            values[name] = records[name_in_records]
        elif name in records:
            values[name] = records[name]
        elif "month" in name:
            values[name] = "2026-03"
        elif name == "action":
            values[name] = "deactivate"
        else:
            integer = isinstance(rule._converters.get(name), IntegerConverter)
            values[name] = 1 if integer else "x"
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def _gets(app):
    return [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods]


@freeze_time(NOW)
def test_every_staff_page_carries_the_policy_signed_in_and_anonymous(session, staff_app):
    team = Team()
    records = _stranger_records(session, team)  # records of the team's own clinic: real pages
    session.commit()
    clients = {
        "anonymous": staff_app.test_client(),
        "care manager": signed_in(staff_app, team.manager),
        "admin": signed_in(staff_app, team.admin),
        "consultant": signed_in(staff_app, team.consultant),
    }
    pages = 0
    for who, client in clients.items():
        for rule in _gets(staff_app):
            if rule.endpoint == "static":
                continue
            url = _url(staff_app, rule, records)
            response = client.get(url)
            assert response.status_code < 500, f"{who}: GET {url} -> {response.status_code}"
            _hardened(response, f"{who}: GET {url} ({response.status_code})")
            pages += response.status_code == 200 and response.mimetype == "text/html"
    assert pages >= 40  # most pages really rendered, not only redirects and refusals
    for name in ("app.css", "queue.js"):
        static = clients["anonymous"].get(f"/static/{name}")
        assert static.status_code in (200, 404)
        assert static.headers.get("X-Content-Type-Options") == "nosniff"


@freeze_time(NOW)
def test_every_patient_page_carries_the_policy_signed_in_and_anonymous(session, patient_app):
    team = Team()
    patient = PatientFactory(clinic=team.clinic, care_manager_id=team.manager.id)
    episode = EpisodeFactory(patient=patient)
    session.add(
        MeasurementSchedule(episode_id=episode.id, instrument="GAD-7", next_due_at=utcnow())
    )
    conversation = start_checkin(session, patient, "PHQ-9", utcnow())
    session.commit()
    values = {"assessment_id": conversation.assessment_id, "schedule_id": 1, "token": "x"}

    signed = patient_app.test_client()
    with signed.session_transaction() as cookie:
        cookie[portal_session.PATIENT] = patient.id
        cookie[portal_session.SEEN] = utcnow().isoformat()
        cookie[portal_session.SINCE] = utcnow().isoformat()
    pages = 0
    for who, client in (("anonymous", patient_app.test_client()), ("patient", signed)):
        for rule in _gets(patient_app):
            if rule.endpoint == "static":
                continue
            url = _url(patient_app, rule, values)
            response = client.get(url)
            assert response.status_code < 500, f"{who}: GET {url} -> {response.status_code}"
            _hardened(response, f"{who}: GET {url} ({response.status_code})")
            pages += response.status_code == 200 and response.mimetype == "text/html"
    assert pages >= 5
    # Twilio's webhooks answer TwiML, hardened all the same.
    _hardened(patient_app.test_client().post("/twilio/sms"), "POST /twilio/sms (unsigned)")


def _cookies(response) -> dict[str, str]:
    """Set-Cookie headers by cookie name, as sent."""
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        name = next(iter(SimpleCookie(header.split(";", 1)[0] + ";")))
        found[name] = header
    return found


def _flags(header: str) -> set[str]:
    """The attributes after name=value, lower case: {"httponly", "samesite=lax", "path=/"}."""
    return {part.strip().lower() for part in header.split(";")[1:]}


@pytest.mark.parametrize("https", [True, False], ids=["https", "http-demo"])
def test_session_cookies_flags_on_both_apps(session, settings, https):
    from patient_app import create_app as patient_create
    from staff_app import create_app as staff_create

    base = "https://cocm.example.org" if https else "http://localhost:5000"
    chosen = dataclasses.replace(settings, public_base_url=base)
    team = Team()
    session.commit()

    staff = staff_create(chosen)
    staff.config.update(TESTING=True)
    client = staff.test_client()
    page = client.get("/sign-in", base_url=base)
    signed = client.post(
        "/sign-in",
        data={"email": team.manager.email, "password": PASSWORD, "csrf_token": csrf(page.text)},
        base_url=base,
        headers={"Referer": f"{base}/sign-in"},
    )
    assert signed.status_code == 302
    patient = patient_create(chosen)
    portal = patient.test_client().get("/portal/sign-in", base_url=base)
    assert portal.status_code == 200

    sent = {**_cookies(page), **_cookies(signed), **_cookies(portal)}
    assert "session" in sent and "cocm_patient" in sent, sent
    for name, header in sent.items():
        flags = _flags(header)
        assert "httponly" in flags, f"{name}: {header}"
        assert "samesite=lax" in flags, f"{name}: {header}"
        assert ("secure" in flags) is https, f"{name}: {header}"
        assert not any(flag.startswith("domain=") for flag in flags), f"{name}: {header}"
    if https:
        assert signed.headers["Strict-Transport-Security"].startswith("max-age=")


def _templates() -> list[Path]:
    found = sorted(
        path
        for folder in ("staff_app", "patient_app", "webcommon", "cocm")
        for path in (ROOT / folder).rglob("*.html")
    )
    assert len(found) >= 30
    return found


def test_no_template_has_inline_script_handlers_or_styles():
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        _no_inline(text, str(path.relative_to(ROOT)))


def test_the_walk_would_notice_inline_markup():
    """The checks themselves bite: each kind of inline markup is caught."""
    for html in (
        "<script>alert(1)</script>",
        '<script type="module">x()</script>',
        '<a href="/x" onclick="go()">x</a>',
        "<div\n  onmouseover='x()'>",
        '<p style="color:red">x</p>',
        '<a href="javascript:alert(1)">x</a>',
    ):
        with pytest.raises(AssertionError):
            _no_inline(html, "sample")
    _no_inline('<script src="/static/queue.js" defer></script><p class="on">ok</p>', "sample")
