"""The home page: what is pending, the next contact with its buttons, goals, and the patient's
own history in plain words."""

from __future__ import annotations

import re

from freezegun import freeze_time

from cocm import db
from cocm.checkins import start_checkin
from cocm.models import Contact
from tests.cocm.portal.helpers import T0, make_due, queue_items
from tests.patient_app.portal.web import post_form, sign_in


def _contact(world) -> Contact:
    return db.Session.get(Contact, world.contact_id, populate_existing=True)


def _visible(html: str) -> str:
    """The words a sighted reader sees (no tags, no SVG titles)."""
    return re.sub(r"<[^>]+>", " ", re.sub(r"<svg.*?</svg>", "", html, flags=re.S))


def test_the_home_page_shows_the_patients_own_things(client, portal_world, recorder):
    with freeze_time(T0):
        make_due(portal_world, "GAD-7")
        start_checkin(db.Session, portal_world.patient, "PHQ-9", T0)
        db.Session.commit()
        sign_in(client, portal_world.patient_id)
        page = client.get("/portal")
    html = page.text
    assert page.status_code == 200
    assert "Mood check-in" in html and "We also sent this by text" in html
    assert "Worry and stress check-in" in html and "Take this check-in now" in html
    assert "Maria Lopez" in html and "on Saturday, March 7 around 2:00 PM" in html
    assert "By phone" in html
    assert "Walk with my sister twice a week." in html and "Old goals" not in html
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in html and "Lower is better" in html
    assert "<td>Feb 17, 2026</td><td>10</td>" in html
    words = _visible(html).lower()
    for word in ("severe", "moderate", "mild", "minimal", "phq", "gad", "depression", "anxiety"):
        assert word not in words, word


def test_confirming_the_next_contact(client, portal_world, recorder):
    with freeze_time(T0):
        sign_in(client, portal_world.patient_id)
        response = post_form(
            client, "/portal/contact/confirm", {"contact": portal_world.contact_id}, page="/portal"
        )
        page = client.get(response.headers["Location"])
    assert _contact(portal_world).next_contact_confirmed_at == T0
    assert "Your care team knows you confirmed" in page.text
    assert "You confirmed this time" in page.text and "Confirm this time" not in page.text


def test_asking_to_change_the_time(client, portal_world, recorder):
    with freeze_time(T0):
        sign_in(client, portal_world.patient_id)
        response = post_form(
            client,
            "/portal/contact/reschedule",
            {"contact": portal_world.contact_id},
            page="/portal",
        )
        page = client.get(response.headers["Location"])
    assert _contact(portal_world).reschedule_requested_at == T0
    [item] = queue_items(portal_world.patient_id, "reschedule")
    assert "patient portal" in item.reason
    assert "You asked to change this time" in page.text
    assert "Ask to change the time" not in page.text


def test_a_stale_contact_button_changes_nothing(client, portal_world, recorder):
    with freeze_time(T0):
        sign_in(client, portal_world.patient_id)
        response = post_form(client, "/portal/contact/confirm", {"contact": "x"}, page="/portal")
        assert response.status_code == 302
        page = client.get("/portal")
    assert "That contact has changed" in page.text
    assert _contact(portal_world).next_contact_confirmed_at is None


def test_the_home_page_in_spanish(client, portal_world, recorder):
    portal_world.patient.language = "es"
    db.Session.commit()
    with freeze_time(T0):
        sign_in(client, portal_world.patient_id)
        html = client.get("/portal").text
    assert "Su próximo contacto" in html and "el sábado 7 de marzo a las 2:00 p. m." in html
    assert "Por teléfono" in html and "Más bajo es mejor" in html
    assert "Confirmar esta hora" in html and "Sus metas" in html
