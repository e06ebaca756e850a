"""The home page's data: the next contact and its buttons (as C and R by text), goals, and the
patient's own score history as a plain chart."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from cocm import db
from cocm.checkins import start_contact_confirmation
from cocm.models import Assessment, AuditEvent, CarePlan, Contact
from cocm.portal import chart, home
from tests.cocm.portal.helpers import T0, open_conversation, queue_items

ADDR = "203.0.113.20"


def test_the_next_contact_says_who_when_and_how(portal_world):
    found = home.next_contact(db.Session, portal_world.patient, T0)
    assert found.contact_id == portal_world.contact_id
    assert found.at == T0 + timedelta(days=4, hours=4)
    assert (found.who, found.kind) == ("Maria Lopez", "phone")
    assert not found.confirmed and not found.reschedule_requested


def test_a_newer_contact_without_a_plan_does_not_hide_the_planned_one(portal_world):
    db.Session.add(
        Contact(
            patient_id=portal_world.patient_id,
            staff_id=portal_world.manager_id,
            kind="phone",
            outcome="no_answer",
            occurred_at=T0 - timedelta(days=1),
        )
    )
    db.Session.flush()
    assert home.next_contact(db.Session, portal_world.patient, T0).contact_id == (
        portal_world.contact_id
    )


def test_a_contact_that_has_passed_is_not_offered(portal_world):
    assert home.next_contact(db.Session, portal_world.patient, T0 + timedelta(days=5)) is None
    with pytest.raises(home.NoSuchContact):
        home.confirm_contact(
            db.Session, portal_world.patient, portal_world.contact_id, T0 + timedelta(days=5), ADDR
        )


def test_confirming_is_what_replying_c_does(portal_world):
    conversation = start_contact_confirmation(db.Session, portal_world.contact, T0)
    home.confirm_contact(db.Session, portal_world.patient, portal_world.contact_id, T0, ADDR)
    home.confirm_contact(
        db.Session, portal_world.patient, portal_world.contact_id, T0 + timedelta(hours=1), ADDR
    )
    assert portal_world.contact.next_contact_confirmed_at == T0
    db.Session.refresh(conversation)
    assert (conversation.status, conversation.closed_reason) == ("closed", "confirmed")
    assert home.next_contact(db.Session, portal_world.patient, T0).confirmed
    actions = db.Session.scalars(
        select(AuditEvent.action).where(AuditEvent.action == "portal_contact_confirmed")
    ).all()
    assert len(actions) == 1


def test_asking_to_reschedule_is_what_replying_r_does(portal_world):
    start_contact_confirmation(db.Session, portal_world.contact, T0)
    for _ in range(2):
        home.ask_to_reschedule(db.Session, portal_world.patient, portal_world.contact_id, T0, ADDR)
    assert portal_world.contact.reschedule_requested_at == T0
    [item] = queue_items(portal_world.patient_id)
    assert (item.kind, item.priority, item.status) == ("reschedule", "normal", "open")
    assert item.dedupe_key == f"reschedule:contact:{portal_world.contact_id}"
    assert "Saturday, March 7" in item.reason
    assert open_conversation(portal_world.patient_id) is None


def test_only_the_current_contact_can_be_confirmed(portal_world):
    with pytest.raises(home.NoSuchContact):
        home.confirm_contact(
            db.Session, portal_world.patient, portal_world.contact_id + 99, T0, ADDR
        )


def test_goals_come_from_the_latest_care_plan(portal_world):
    assert home.goals(db.Session, portal_world.patient) == "Walk with my sister twice a week."
    portal_world.episode.status = "completed"
    portal_world.episode.ended_on = date(2026, 3, 3)
    db.Session.flush()
    assert home.goals(db.Session, portal_world.patient) is None


def test_goals_are_none_when_the_plan_has_none(portal_world):
    for plan in db.Session.scalars(select(CarePlan)):
        plan.goals = "  "
    db.Session.flush()
    assert home.goals(db.Session, portal_world.patient) is None


def test_score_history_holds_only_complete_totals_in_the_patients_days(portal_world):
    db.Session.add(
        Assessment(
            patient_id=portal_world.patient_id,
            instrument="PHQ-9",
            channel="portal",
            status="partial",
            started_at=T0,
        )
    )
    db.Session.flush()
    history = home.score_history(db.Session, portal_world.patient)
    assert history == {"PHQ-9": [(date(2026, 2, 3), 14), (date(2026, 2, 17), 10)]}


def test_the_chart_is_plain_words_and_numbers():
    points = [(date(2026, 1, 6), 18), (date(2026, 1, 20), 12), (date(2026, 2, 3), 7)]
    svg = chart.history_svg(points, max_total=27, lang="en", element_id="h1", title="Mood")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'aria-labelledby="h1-title h1-desc"' in svg and 'role="img"' in svg
    assert "3 check-ins, from 18 on Jan 6, 2026 to 7 on Feb 3, 2026. Lower is better." in svg
    assert "style=" not in svg
    for word in ("severe", "moderate", "mild", "minimal", "PHQ", "depress"):
        assert word not in svg
    spanish = chart.history_svg(points, max_total=27, lang="es", element_id="h2", title="Ánimo")
    assert "Más bajo es mejor" in spanish and "6 ene 2026" in spanish


def test_the_chart_copes_with_one_point_and_none():
    one = chart.history_svg(
        [(date(2026, 1, 6), 3)], max_total=21, lang="en", element_id="a", title="x"
    )
    assert "One check-in: 3 on Jan 6, 2026." in one and "<circle" in one
    none = chart.history_svg([], max_total=21, lang="en", element_id="b", title="x")
    assert "No check-ins yet." in none and "<circle" not in none
