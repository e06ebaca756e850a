"""Walk every staff URL as every role of one clinic against another clinic's records.

Nobody sees a patient of a clinic they do not belong to: each URL that names another clinic's
record answers 404 (or 403 where the role is refused first), and no page shows that patient's
name. A URL parameter the walk does not know fails the test, so new routes cannot slip past it.
The JSON API (bearer tokens) has its own per-role tests in tests/staff_app/api.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cocm.models import (
    CarePlan,
    CaseReview,
    CaseReviewItem,
    Contact,
    QueueItem,
    Recommendation,
    Referral,
    TimeEntry,
)
from tests.cocm.clinics.helpers import Team, signed_in
from tests.factories import EpisodeFactory, PatientFactory

NOW = datetime(2026, 3, 3, 15, tzinfo=UTC)
ROLES = ("manager", "clinician", "consultant", "lead", "admin")
SKIP = {"static", "auth.sign_in", "auth.sign_out"}


def _stranger_records(session, team: Team) -> dict[str, int]:
    """A patient of another clinic with one record of every kind a URL can name."""
    patient = PatientFactory(clinic=team.clinic, first_name="Zebulon", last_name="Stranger")
    episode = EpisodeFactory(patient=patient)
    plan = CarePlan(episode_id=episode.id, version=1, goals="walk", created_by_id=team.manager.id)
    referral = Referral(
        patient_id=patient.id, kind="therapy", to_whom="Dr. X", created_by_id=team.manager.id
    )
    item = QueueItem(
        clinic_id=team.clinic.id,
        patient_id=patient.id,
        kind="needs_person",
        reason="help",
        opened_at=NOW,
    )
    review = CaseReview(clinic_id=team.clinic.id, scheduled_for=NOW)
    session.add_all([plan, referral, item, review])
    session.flush()
    review_item = CaseReviewItem(
        review_id=review.id,
        patient_id=patient.id,
        episode_id=episode.id,
        reason="added",
        position=1,
    )
    session.add(review_item)
    session.flush()
    recommendation = Recommendation(
        review_item_id=review_item.id,
        patient_id=patient.id,
        kind="therapy",
        detail="CBT",
        proposed_by_id=team.consultant.id,
    )
    contact = Contact(
        patient_id=patient.id,
        staff_id=team.manager.id,
        kind="phone",
        outcome="reached",
        occurred_at=NOW,
    )
    session.add_all([recommendation, contact])
    session.flush()
    entry = TimeEntry(
        patient_id=patient.id,
        staff_id=team.manager.id,
        role="care_manager",
        activity="outreach",
        performed_on=date(2026, 3, 3),
        minutes=10,
        contact_id=contact.id,
    )
    session.add(entry)
    session.flush()
    return {
        "patient_id": patient.id,
        "plan_id": plan.id,
        "referral_id": referral.id,
        "queue_item_id": item.id,
        "review_id": review.id,
        "review_item_id": review_item.id,
        "rec_id": recommendation.id,
        "clinic_id": team.clinic.id,
        "staff_id": team.manager.id,
        "entry_id": entry.id,
        "contact_id": contact.id,
    }


def _values(rule, records) -> dict:
    values = {}
    for name in rule.arguments:
        if name == "item_id":
            key = "review_item_id" if rule.endpoint.startswith("review.") else "queue_item_id"
            values[name] = records[key]
        elif name == "action":
            values[name] = "deactivate"
        elif name in ("month", "yyyy_mm"):
            values[name] = "2026-03"
        elif name in records:
            values[name] = records[name]
        else:
            pytest.fail(f"the access walk does not know URL parameter {name!r} of {rule.rule}")
    return values


def _walkable(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP or rule.rule.startswith("/api/"):
            continue
        yield rule


@pytest.fixture
def walk(session, staff_app):
    home, stranger = Team(), Team()
    records = _stranger_records(session, stranger)
    return staff_app, home, records


def test_every_url_refuses_another_clinics_records_for_every_role(walk):
    app, home, records = walk
    checked = 0
    for role in ROLES:
        app.config["WTF_CSRF_ENABLED"] = True
        client = signed_in(app, getattr(home, role))
        # The walk posts empty forms: without CSRF in the way they reach the access checks.
        app.config["WTF_CSRF_ENABLED"] = False
        for rule in _walkable(app):
            url = app.url_map.bind("localhost").build(rule.endpoint, _values(rule, records))
            method = "GET" if "GET" in rule.methods else "POST"
            response = client.open(url, method=method, data={})
            body = response.get_data(as_text=True)
            assert "Zebulon" not in body, f"{role} saw the stranger at {method} {url}"
            assert response.status_code < 500, f"{role}: {method} {url} -> {response.status_code}"
            if rule.arguments - {"action", "month", "yyyy_mm"}:
                assert response.status_code in (403, 404), (
                    f"{role}: {method} {url} answered {response.status_code}"
                )
            checked += 1
    assert checked >= 5 * 30  # every role walked every route


def test_every_url_asks_a_stranger_to_sign_in(walk):
    app, _home, records = walk
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    for rule in _walkable(app):
        url = app.url_map.bind("localhost").build(rule.endpoint, _values(rule, records))
        method = "GET" if "GET" in rule.methods else "POST"
        response = client.open(url, method=method, data={})
        assert response.status_code in (302, 401), f"{method} {url} -> {response.status_code}"
        if response.status_code == 302:
            assert "/sign-in" in response.headers["Location"]
