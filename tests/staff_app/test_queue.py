"""The response queue pages: order, why each item is there, claim/note/release/close, polling."""

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from cocm import db
from cocm.models import AuditEvent, EscalationStep, QueueEvent, QueueItem
from cocm.registry.queue import business_deadline
from tests.cocm.registry.builders import (
    assessment,
    at,
    count_statements,
    message,
    queue_item,
)
from tests.cocm.registry.web import csrf, post, sign_in
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory, staff_with_role

NOW = "2026-03-16 15:00:00"  # Monday 11:00 in New York


@pytest.fixture
def clock():
    with freeze_time(NOW) as frozen:
        yield frozen


@pytest.fixture
def clinic(session):
    return ClinicFactory(timezone="America/New_York", escalation_minutes=15)


@pytest.fixture
def manager(clinic):
    return staff_with_role(clinic, "care_manager", full_name="Maria Lopez")


@pytest.fixture
def patient(clinic, manager):
    return PatientFactory(clinic=clinic, care_manager_id=manager.id, last_name="Ruiz")


@pytest.fixture
def client(staff_app, manager, clock):
    client = staff_app.test_client()
    sign_in(client, manager)
    return client


def _ago(minutes: int) -> datetime:
    return datetime(2026, 3, 16, 15, tzinfo=UTC) - timedelta(minutes=minutes)


def _order(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr id="item-(\d+)"', html)]


def test_urgent_first_then_oldest_first(client, patient):
    old_normal = queue_item(patient, _ago(600), kind="needs_person")
    new_urgent = queue_item(patient, _ago(5), kind="risk_words")
    old_urgent = queue_item(patient, _ago(30), kind="risk_answer")
    new_normal = queue_item(patient, _ago(60), kind="reschedule")
    closed = queue_item(
        patient,
        _ago(900),
        kind="free_text",
        status="closed",
        outcome_note="done",
        closed_at=_ago(800),
    )
    page = client.get("/queue")
    assert page.status_code == 200
    assert _order(page.text) == [old_urgent.id, new_urgent.id, old_normal.id, new_normal.id]
    assert closed.id not in _order(page.text)


def test_each_row_says_why_and_shows_texts_scores_and_wait(client, patient, manager):
    episode = EpisodeFactory(patient=patient)
    assessment(patient, episode, "PHQ-9", 17, at("2026-03-16", 14), risk_item=1)
    assessment(patient, episode, "GAD-7", 11, at("2026-03-02"))
    for n, body in enumerate(["first text", "second text", "third text", "I want to die"]):
        message(patient, _ago(40 - n), body)
    queue_item(patient, _ago(20), kind="risk_words", reason="Risk words in a text: want to die")
    queue_item(patient, _ago(60 * 30), kind="delivery_failure", reason="Text not delivered (30006)")
    text = client.get("/queue").text
    assert "Risk words in a text" in text and "want to die" in text
    assert "Text not delivered" in text
    assert "first text" not in text and "second text" in text and "I want to die" in text
    assert "PHQ-9 <strong>17</strong>" in text and "GAD-7 <strong>11</strong>" in text
    assert "acknowledge within 15 min" in text and "over limit" in text
    assert "<strong>20 min</strong>" in text
    assert "due within 1 business day" in text


def test_claim_acknowledges_and_is_audited(client, patient, manager):
    item = queue_item(patient, _ago(3), kind="risk_answer")
    response = post(client, f"/queue/{item.id}/claim", token_from="/queue")
    assert response.status_code == 302
    item = db.Session.get(QueueItem, item.id)
    assert item.status == "claimed" and item.claimed_by_id == manager.id
    assert item.acknowledged_at is not None
    actions = db.Session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_id == item.id)
    ).all()
    assert "queue_claim" in actions
    page = client.get(f"/queue/{item.id}")
    assert "Acknowledged after 3 min" in page.text
    assert "Release to the team" in page.text


def test_note_and_release(client, patient):
    item = queue_item(patient, _ago(30))
    assert post(client, f"/queue/{item.id}/claim", token_from="/queue").status_code == 302
    empty = post(client, f"/queue/{item.id}/note", {"note": "  "}, token_from="/queue")
    assert empty.status_code == 422 and "Write a note before saving." in empty.text
    saved = post(
        client, f"/queue/{item.id}/note", {"note": "Left a voicemail."}, token_from="/queue"
    )
    assert saved.status_code == 302
    assert "Left a voicemail." in client.get(f"/queue/{item.id}").text
    assert post(client, f"/queue/{item.id}/release", token_from="/queue").status_code == 302
    item = db.Session.get(QueueItem, item.id)
    assert item.status == "open" and item.claimed_by_id is None
    kinds = db.Session.scalars(
        select(QueueEvent.kind).where(QueueEvent.queue_item_id == item.id)
    ).all()
    assert kinds.count("note") == 1 and "released" in kinds


def test_urgent_close_needs_outcome_and_keeps_the_note(client, patient):
    item = queue_item(patient, _ago(10), kind="risk_answer")
    page = client.get(f"/queue/{item.id}").text
    for value in (
        "reached_safe",
        "safety_plan_reviewed",
        "sent_to_emergency_care",
        "welfare_check_requested",
        "unable_to_reach",
    ):
        assert f'type="radio" name="outcome" value="{value}"' in page
    refused = client.post(
        f"/queue/{item.id}/close",
        data={"note": "Called twice, spoke with her sister.", "csrf_token": csrf(page)},
    )
    assert refused.status_code == 422
    assert 'id="outcome-error">Choose the outcome of the risk follow-up.' in refused.text
    assert "Called twice, spoke with her sister.</textarea>" in refused.text
    item = db.Session.get(QueueItem, item.id)
    assert item.status == "open"

    no_note = client.post(
        f"/queue/{item.id}/close",
        data={"outcome": "reached_safe", "note": "", "csrf_token": csrf(page)},
    )
    assert no_note.status_code == 422
    assert 'id="close-note-error"' in no_note.text
    assert 'value="reached_safe" required checked' in no_note.text

    unreached = client.post(
        f"/queue/{item.id}/close",
        data={"outcome": "unable_to_reach", "note": "No answer x3.", "csrf_token": csrf(page)},
    )
    assert unreached.status_code == 422 and 'id="close-next-error"' in unreached.text

    closed = client.post(
        f"/queue/{item.id}/close",
        data={
            "outcome": "unable_to_reach",
            "note": "No answer x3.",
            "next_step": "Welfare check if no answer by 2 pm.",
            "csrf_token": csrf(page),
        },
    )
    assert closed.status_code == 302
    item = db.Session.get(QueueItem, item.id)
    assert (item.status, item.outcome) == ("closed", "unable_to_reach")
    assert item.next_step == "Welfare check if no answer by 2 pm."


def test_closing_twice_is_harmless(client, patient, manager):
    item = queue_item(patient, _ago(10), kind="risk_words")
    data = {"outcome": "reached_safe", "note": "Safe, plan reviewed."}
    token = csrf(client.get(f"/queue/{item.id}").text)
    first = client.post(f"/queue/{item.id}/close", data={**data, "csrf_token": token})
    second = client.post(f"/queue/{item.id}/close", data={**data, "csrf_token": token})
    assert first.status_code == 302 and second.status_code == 302
    closes = db.Session.scalars(
        select(QueueEvent).where(QueueEvent.queue_item_id == item.id, QueueEvent.kind == "closed")
    ).all()
    assert len(closes) == 1
    assert "already closed" in client.get(second.headers["Location"]).text


def test_normal_item_closes_with_a_note(client, patient):
    item = queue_item(patient, _ago(10), kind="reschedule")
    page = client.get(f"/queue/{item.id}").text
    assert 'name="outcome"' not in page
    refused = client.post(f"/queue/{item.id}/close", data={"note": "", "csrf_token": csrf(page)})
    assert refused.status_code == 422 and "Write a short note before closing." in refused.text
    done = client.post(
        f"/queue/{item.id}/close", data={"note": "Moved to Thursday.", "csrf_token": csrf(page)}
    )
    assert done.status_code == 302
    item = db.Session.get(QueueItem, item.id)
    assert item.status == "closed" and item.outcome is None


def test_closed_view_shows_time_to_acknowledge_and_resolve(client, patient, manager):
    item = queue_item(
        patient,
        _ago(120),
        kind="risk_answer",
        status="closed",
        claimed_by_id=manager.id,
        acknowledged_at=_ago(112),
        closed_at=_ago(60),
        closed_by_id=manager.id,
        outcome="safety_plan_reviewed",
        outcome_note="Reviewed the plan by phone.",
    )
    text = client.get("/queue?view=closed").text
    assert f'id="item-{item.id}"' in text
    assert "Time to acknowledge: <strong>8 min</strong>" in text
    assert "Time to resolve: <strong>1 h</strong>" in text
    assert "Safety plan reviewed" in text


def test_mine_and_unclaimed_filters(client, patient, manager, clinic):
    colleague = staff_with_role(clinic, "care_manager")
    mine = queue_item(patient, _ago(10), status="claimed", claimed_by_id=manager.id)
    theirs = queue_item(patient, _ago(20), status="claimed", claimed_by_id=colleague.id)
    nobody = queue_item(patient, _ago(30))
    assert _order(client.get("/queue?who=mine").text) == [mine.id]
    assert _order(client.get("/queue?who=unclaimed").text) == [nobody.id]
    assert set(_order(client.get("/queue").text)) == {mine.id, theirs.id, nobody.id}


def test_clinic_filter(staff_app, clock, session):
    first, second = ClinicFactory(name="Alpha"), ClinicFactory(name="Beta")
    lead = staff_with_role(first, "care_manager")
    from tests.factories import MembershipFactory

    MembershipFactory(staff=lead, clinic=second, role="care_manager")
    a = queue_item(PatientFactory(clinic=first), _ago(10))
    b = queue_item(PatientFactory(clinic=second), _ago(20))
    client = staff_app.test_client()
    sign_in(client, lead)
    assert _order(client.get("/queue").text) == [b.id, a.id]
    assert _order(client.get(f"/queue?clinic={first.id}").text) == [a.id]
    assert 'id="queue-clinic"' in client.get("/queue").text


def test_other_clinics_items_are_404(client, session):
    other = queue_item(PatientFactory(clinic=ClinicFactory()), _ago(10), kind="risk_words")
    assert client.get(f"/queue/{other.id}").status_code == 404
    assert post(client, f"/queue/{other.id}/claim", token_from="/queue").status_code == 404
    data = {"outcome": "reached_safe", "note": "x"}
    assert post(client, f"/queue/{other.id}/close", data, token_from="/queue").status_code == 404
    assert other.id not in _order(client.get("/queue").text)


def test_viewers_can_look_but_not_act(staff_app, clinic, patient, clock):
    clinician = staff_with_role(clinic, "treating_clinician")
    normal = queue_item(patient, _ago(10))
    urgent = queue_item(patient, _ago(5), kind="risk_words")
    client = staff_app.test_client()
    sign_in(client, clinician)
    assert client.get("/queue").status_code == 200
    page = client.get(f"/queue/{normal.id}")
    assert page.status_code == 200 and "Close item" not in page.text
    assert post(client, f"/queue/{normal.id}/claim", token_from="/queue").status_code == 403
    # Someone on the escalation chain is paged for urgent items, so may act on them.
    db.Session.add(EscalationStep(clinic_id=clinic.id, position=1, staff_id=clinician.id))
    db.Session.flush()
    assert post(client, f"/queue/{urgent.id}/claim", token_from="/queue").status_code == 302
    assert post(client, f"/queue/{normal.id}/claim", token_from="/queue").status_code == 403


def test_item_view_is_audited(client, patient):
    item = queue_item(patient, _ago(10))
    client.get(f"/queue/{item.id}")
    event = db.Session.scalars(
        select(AuditEvent).where(AuditEvent.action == "queue_item_view")
    ).one()
    assert (event.patient_id, event.object_id) == (patient.id, item.id)


def test_item_page_shows_the_answers_that_opened_it(client, patient):
    episode = EpisodeFactory(patient=patient)
    answered = assessment(patient, episode, "PHQ-9", 12, _ago(15), risk_item=2)
    item = queue_item(patient, _ago(15), kind="risk_answer", assessment_id=answered.id)
    text = client.get(f"/queue/{item.id}").text
    assert "Thoughts that you would be better off dead" in text
    assert "2 · More than half the days" in text


def test_poll_returns_new_items_and_rows(client, patient):
    first = queue_item(patient, _ago(30))
    page = client.get("/queue").text
    signature = re.search(r'data-signature="([^"]+)"', page).group(1)
    quiet = client.get(f"/queue/poll?since={first.id}&sig={signature}").get_json()
    assert quiet["new"] == 0 and quiet["html"] is None
    urgent = queue_item(patient, _ago(1), kind="risk_words")
    data = client.get(f"/queue/poll?since={first.id}&sig={signature}").get_json()
    assert (data["new"], data["urgent_new"], data["max_id"]) == (1, 1, urgent.id)
    assert _order(data["html"]) == [urgent.id, first.id]


def test_polling_does_not_keep_an_idle_session_alive(client, clock, patient):
    clock.tick(timedelta(minutes=10))
    assert client.get("/queue/poll?since=0").status_code == 200
    clock.tick(timedelta(minutes=6))  # 16 minutes since the last real request
    response = client.get("/queue/poll?since=0")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_queue_page_loads_script_without_inline_code(client):
    text = client.get("/queue").text
    assert '<script src="/static/queue.js" defer></script>' in text
    assert "<script>" not in text
    assert "app.css" in text


def test_statement_count_does_not_grow_with_items(client, engine, patient, clinic):
    def add(n):
        for i in range(n):
            p = PatientFactory(clinic=clinic)
            queue_item(p, _ago(10 + i), kind="risk_words" if i % 2 else "needs_person")
            message(p, _ago(40), "hello")
            assessment(p, None, "PHQ-9", 9, _ago(50))

    add(3)
    with count_statements(engine) as small:
        assert client.get("/queue").status_code == 200
    add(20)
    with count_statements(engine) as large:
        assert client.get("/queue").status_code == 200
    assert len(small) == len(large)


def test_business_day_limit():
    friday_afternoon = datetime(2026, 3, 13, 20, tzinfo=UTC)  # 16:00 in New York
    due = business_deadline(friday_afternoon, "America/New_York", time(17), "1,2,3,4,5")
    assert due == datetime(2026, 3, 16, 21, tzinfo=UTC)  # Monday 17:00 EDT
    tuesday = datetime(2026, 3, 17, 13, tzinfo=UTC)
    assert business_deadline(tuesday, "America/New_York", time(17), "1,2,3,4,5") == datetime(
        2026, 3, 18, 21, tzinfo=UTC
    )
