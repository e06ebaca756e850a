"""The questionnaire page: accessible, no script, answers kept as they are sent, the safety
page after a risk answer, and only the patient's own questionnaires."""

from __future__ import annotations

import re

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from cocm import db
from cocm.models import Assessment, Page, QueueItem
from cocm.portal.forms import answers
from tests.cocm.portal.helpers import T0, build, make_due, queue_items
from tests.patient_app.portal.web import post_form, sign_in

ALL = {f"q{n}": "1" for n in range(1, 9)} | {"q9": "0"}


@pytest.fixture
def due_form(client, portal_world, recorder):
    """Signed in, with the PHQ-9 due: the path of the 'take this check-in now' page."""
    with freeze_time(T0):
        schedule_id = make_due(portal_world)
        db.Session.commit()
        sign_in(client, portal_world.patient_id)
    return f"/portal/checkins/due/{schedule_id}"


def _assessment(patient_id: int) -> Assessment:
    return db.Session.scalar(
        select(Assessment)
        .where(Assessment.patient_id == patient_id, Assessment.channel == "portal")
        .execution_options(populate_existing=True)
    )


def test_the_form_is_one_accessible_page_without_script(client, portal_world, due_form):
    with freeze_time(T0):
        page = client.get(due_form)
    html = page.text
    assert page.status_code == 200 and "<script" not in html and "style=" not in html
    assert html.count("<fieldset") == 10 and html.count("<legend>") == 10
    for n in range(1, 11):
        for value in range(4):
            assert f'<input type="radio" id="q{n}-{value}" name="q{n}" value="{value}">' in html
            assert f'<label for="q{n}-{value}">' in html
    assert "Question 10 of 10 (optional)" in html
    assert "Thoughts that you would be better off dead" in html
    assert 'value="finish"' in html and 'value="later"' in html
    assert "PHQ" not in re.sub(r"<[^>]+>", "", html)  # the page names it in plain words


def test_save_and_finish_later_keeps_the_answers_for_the_next_visit(client, portal_world, due_form):
    with freeze_time(T0):
        saved = post_form(client, due_form, {"q1": "2", "q2": "1", "action": "later"})
        assessment = _assessment(portal_world.patient_id)
        assert saved.headers["Location"].endswith(f"/portal/checkins/{assessment.id}/next")
        after = client.get(saved.headers["Location"])
        assert "Your answers are saved" in after.text and 'role="alert"' not in after.text
        home = client.get("/portal")
        assert "2 of 9 questions answered" in home.text
        again = client.get(f"/portal/checkins/{assessment.id}")
    assert answers(db.Session, assessment.id) == {1: 2, 2: 1}
    assert 'id="q1-2" name="q1" value="2" checked' in again.text
    assert 'id="q2-1" name="q2" value="1" checked' in again.text
    assert "Your answers so far are saved" in again.text


def test_sending_with_gaps_lists_them_and_keeps_what_was_chosen(client, portal_world, due_form):
    with freeze_time(T0):
        response = post_form(client, due_form, {"q1": "3", "q5": "0", "action": "finish"})
    assert response.status_code == 422
    html = response.text
    assert 'class="error-summary" role="alert"' in html
    assert '<a href="#item-2">Answer question 2</a>' in html
    assert '<a href="#item-1">' not in html and '<a href="#item-10">' not in html
    assert 'id="item-2" class="question has-error" aria-describedby="item-2-error"' in html
    assert 'id="q1-3" name="q1" value="3" checked' in html
    assert answers(db.Session, _assessment(portal_world.patient_id).id) == {1: 3, 5: 0}


def test_a_tampered_value_is_dropped_alone(client, portal_world, due_form):
    with freeze_time(T0):
        response = post_form(client, due_form, {"q1": "7", "q2": "1", "action": "later"})
    assert response.status_code == 422 and "One answer could not be read" in response.text
    assert answers(db.Session, _assessment(portal_world.patient_id).id) == {2: 1}


def test_item_nine_shows_the_safety_page_and_opens_the_urgent_item(client, portal_world, due_form):
    with freeze_time(T0):
        response = post_form(client, due_form, {"q1": "1", "q9": "1", "action": "later"})
        after = client.get(response.headers["Location"])
    html = after.text
    assert '<section class="safety" role="alert"' in html
    assert html.index("Your safety matters") < html.index("Your answers are saved")
    assert "988" in html and "911" in html and 'href="tel:988"' in html
    [item] = queue_items(portal_world.patient_id)
    assert (item.kind, item.priority) == ("risk_answer", "urgent")
    assert item.assessment_id == _assessment(portal_world.patient_id).id
    assert db.Session.scalar(select(Page).where(Page.queue_item_id == item.id)) is not None


def test_item_nine_wins_over_a_gap_when_sending(client, portal_world, due_form):
    with freeze_time(T0):
        response = post_form(client, due_form, {"q9": "3", "action": "finish"})
        assert response.status_code == 302  # straight to the safety page, not back to the form
        assert "Your safety matters" in client.get(response.headers["Location"]).text


def test_sending_everything_completes_it(client, portal_world, due_form):
    with freeze_time(T0):
        response = post_form(client, due_form, ALL | {"q10": "2", "action": "finish"})
        after = client.get(response.headers["Location"])
        home = client.get("/portal")
    assessment = _assessment(portal_world.patient_id)
    assert "Your answers were sent" in after.text and "Your safety matters" not in after.text
    assert (assessment.status, assessment.total) == ("completed", 8)
    assert answers(db.Session, assessment.id)[10] == 2
    assert "Nothing to answer right now" in home.text


def test_a_completed_form_sent_again_goes_to_its_result(client, portal_world, due_form):
    with freeze_time(T0):
        post_form(client, due_form, ALL | {"action": "finish"})
        assessment_id = _assessment(portal_world.patient_id).id
        again = post_form(
            client,
            f"/portal/checkins/{assessment_id}",
            ALL | {"q1": "3", "action": "finish"},
            page="/portal",
        )
    assert again.headers["Location"].endswith(f"/portal/checkins/{assessment_id}/next")
    assert answers(db.Session, assessment_id)[1] == 1


def test_another_patients_questionnaire_is_a_404(client, portal_world, due_form, session):
    other = build()
    with freeze_time(T0):
        theirs = Assessment(
            patient_id=other.patient_id, instrument="PHQ-9", channel="portal", started_at=T0
        )
        db.Session.add(theirs)
        db.Session.commit()
        theirs_id = theirs.id
        assert client.get(f"/portal/checkins/{theirs_id}").status_code == 404
        assert client.get(f"/portal/checkins/{theirs_id}/next").status_code == 404
        refused = post_form(client, f"/portal/checkins/{theirs_id}", {"q1": "1"}, page="/portal")
    assert refused.status_code == 404
    assert answers(db.Session, theirs_id) == {}


def test_without_a_session_the_pages_ask_to_sign_in(client, portal_world):
    for path in (
        "/portal",
        "/portal/checkins/1",
        "/portal/checkins/due/1",
        "/portal/checkins/1/next",
    ):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")


def test_a_measure_no_longer_due_goes_home(client, portal_world, due_form):
    with freeze_time(T0):
        post_form(client, due_form, ALL | {"action": "finish"})
        response = client.get(due_form)
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal")


def test_the_questionnaire_in_spanish(client, portal_world, due_form):
    with freeze_time(T0):
        post_form(client, "/portal/language", {"lang": "es", "next": due_form}, page="/portal")
        page = client.get(due_form)
    assert '<html lang="es">' in page.text and "Chequeo del estado de ánimo" in page.text
    assert "Poco interés o placer en hacer cosas" in page.text and "Varios días" in page.text
    assert "Guardar y terminar después" in page.text


def test_nothing_is_offered_that_the_care_team_did_not_ask_for(client, portal_world, recorder):
    with freeze_time(T0):
        sign_in(client, portal_world.patient_id)
        home = client.get("/portal")
    assert "Nothing to answer right now" in home.text
    assert "/portal/checkins/" not in home.text
    assert db.Session.scalar(select(QueueItem)) is None
