"""Signing in with a texted code over HTTP: same answer for any number, the code sent after the
answer, limits, idle sign-out, CSRF, cookies and language."""

from __future__ import annotations

import re
from datetime import timedelta

from freezegun import freeze_time
from sqlalchemy import select

from cocm import db
from cocm.models import AuditEvent, Message
from tests.cocm.portal.helpers import PHONE, T0, UNKNOWN_PHONE, code_texts, last_code
from tests.patient_app.portal.web import csrf, post_form, request_code, sign_in

_TOKENS = re.compile(r'name="csrf_token" value="[^"]+"')


def _page(client, path: str) -> str:
    return _TOKENS.sub("", client.get(path).text)


def test_the_sign_in_page_is_accessible_and_script_free(client, portal_world):
    page = client.get("/portal/sign-in")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="en">' in html
    assert '<label for="phone">' in html and 'id="phone"' in html and 'type="tel"' in html
    assert "<script" not in html and "style=" not in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]


def test_known_and_unknown_numbers_get_the_same_answer(patient_app, portal_world, recorder):
    known, unknown = patient_app.test_client(), patient_app.test_client()
    with freeze_time(T0):
        a = request_code(known, PHONE)
        b = request_code(unknown, UNKNOWN_PHONE)
        assert (a.status_code, a.headers["Location"]) == (b.status_code, b.headers["Location"])
        assert a.headers["Location"].endswith("/portal/code")
        page_a, page_b = _page(known, "/portal/code"), _page(unknown, "/portal/code")
    assert page_a == page_b
    assert "If this number is registered with your care team, we sent a code" in page_a
    assert [call.to for call in recorder.sent] == [PHONE]


def test_the_code_goes_out_only_after_the_answer_has_left(client, portal_world, recorder):
    with freeze_time(T0):
        page = client.get("/portal/sign-in").text
        response = client.post(
            "/portal/sign-in", data={"phone": PHONE, "csrf_token": csrf(page)}, buffered=False
        )
        assert response.status_code == 302
        assert recorder.sent == []  # the answer is out; the text is not sent yet
        response.close()
    [sent] = recorder.sent
    assert last_code(portal_world.patient_id) in sent.body
    [message] = code_texts(portal_world.patient_id)
    assert message.status == "sent" and message.twilio_sid == sent.sid


def test_signing_in_opens_the_home_page_with_a_safe_cookie(client, portal_world, recorder):
    with freeze_time(T0):
        response = sign_in(client, portal_world.patient_id)
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("cocm_patient=")
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
        home = client.get("/portal")
    assert home.status_code == 200 and "Hello, Dana" in home.text
    actions = db.Session.scalars(
        select(AuditEvent.action).where(AuditEvent.patient_id == portal_world.patient_id)
    ).all()
    assert {"portal_code_requested", "portal_sign_in", "portal_home_viewed"} <= set(actions)


def test_a_wrong_code_is_counted_and_said_plainly(client, portal_world, recorder):
    with freeze_time(T0):
        request_code(client)
        code = last_code(portal_world.patient_id)
        wrong = "000000" if code != "000000" else "111111"
        first = post_form(client, "/portal/code", {"code": wrong})
        second = post_form(client, "/portal/code", {"code": wrong})
    assert first.status_code == 401
    assert 'role="alert"' in first.text and "You can try 4 more times" in first.text
    assert "You can try 3 more times" in second.text  # the first try was kept despite the 401
    assert 'aria-invalid="true"' in second.text


def test_five_wrong_codes_end_the_code(client, portal_world, recorder):
    with freeze_time(T0):
        request_code(client)
        code = last_code(portal_world.patient_id)
        wrong = "000000" if code != "000000" else "111111"
        for _ in range(5):
            last = post_form(client, "/portal/code", {"code": wrong})
        after = post_form(client, "/portal/code", {"code": code})
    assert "entered wrong too many times" in last.text
    assert after.status_code == 401 and "Ask for a new code" in after.text
    assert client.get("/portal").status_code == 302


def test_a_fourth_code_in_fifteen_minutes_is_refused(client, portal_world, recorder):
    with freeze_time(T0):
        for _ in range(3):
            assert request_code(client).status_code == 302
        refused = request_code(client)
    assert refused.status_code == 429
    assert "Please wait 15 minutes" in refused.text and 'role="alert"' in refused.text
    assert len(code_texts(portal_world.patient_id)) == 3


def test_a_number_that_cannot_be_one_is_explained(client, portal_world):
    response = post_form(client, "/portal/sign-in", {"phone": "call me maybe"})
    assert response.status_code == 422
    assert "Enter a mobile number with its area code" in response.text
    assert 'href="#phone"' in response.text and 'aria-invalid="true"' in response.text
    assert 'value="call me maybe"' in response.text


def test_fifteen_minutes_idle_signs_out(client, portal_world, recorder):
    with freeze_time(T0) as clock:
        sign_in(client, portal_world.patient_id)
        clock.tick(timedelta(minutes=14))
        assert client.get("/portal").status_code == 200
        clock.tick(timedelta(minutes=14))
        assert client.get("/portal").status_code == 200  # activity keeps it going
        clock.tick(timedelta(minutes=15, seconds=1))
        gone = client.get("/portal")
        assert gone.status_code == 302 and gone.headers["Location"].endswith("/portal/sign-in")
        page = client.get("/portal/sign-in")
    assert "signed out after 15 minutes" in page.text


def test_signing_out_ends_the_session(client, portal_world, recorder):
    with freeze_time(T0):
        sign_in(client, portal_world.patient_id)
        out = post_form(client, "/portal/sign-out", {}, page="/portal")
        assert out.status_code == 302
        assert client.get("/portal").status_code == 302


def test_a_post_without_its_csrf_token_is_refused(client, portal_world, recorder):
    response = client.post("/portal/sign-in", data={"phone": PHONE})
    assert response.status_code == 400
    assert "open too long" in response.text
    assert code_texts(portal_world.patient_id) == []


def test_no_url_carries_the_number_or_the_code(client, portal_world, recorder):
    with freeze_time(T0):
        locations = [request_code(client).headers["Location"]]
        code = last_code(portal_world.patient_id)
        locations.append(post_form(client, "/portal/code", {"code": code}).headers["Location"])
    for location in locations:
        assert "555" not in location and code not in location and "Dana" not in location


def test_the_portal_speaks_the_patients_language_and_can_switch(client, portal_world, recorder):
    portal_world.patient.language = "es"
    db.Session.commit()
    with freeze_time(T0):
        sign_in(client, portal_world.patient_id)
        home = client.get("/portal")
        assert '<html lang="es">' in home.text and "Hola, Dana" in home.text
        switched = post_form(
            client, "/portal/language", {"lang": "en", "next": "/portal"}, page="/portal"
        )
        assert switched.headers["Location"].endswith("/portal")
        assert "Hello, Dana" in client.get("/portal").text


def test_the_language_switch_never_sends_the_browser_away(client, portal_world):
    for target in ("https://evil.example", "//evil.example", "/\\evil.example"):
        response = post_form(
            client, "/portal/language", {"lang": "es", "next": target}, page="/portal/sign-in"
        )
        assert response.headers["Location"] == "/portal"


def test_before_sign_in_the_browser_language_is_used(client, portal_world):
    page = client.get("/portal/sign-in", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert '<html lang="es">' in page.text and "Número de celular" in page.text


def test_the_landing_page_offers_sign_in(client, portal_world):
    page = client.get("/")
    assert 'href="/portal/sign-in"' in page.text and "988" in page.text


def test_code_text_is_an_urgent_portal_code_message(client, portal_world, recorder):
    with freeze_time(T0):
        request_code(client)
    message = db.Session.scalar(select(Message).where(Message.kind == "portal_code"))
    assert message.patient_id == portal_world.patient_id and message.to_number == PHONE
