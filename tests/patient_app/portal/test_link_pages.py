"""One-time links over HTTP: the link opens its one questionnaire and nothing else, once."""

from __future__ import annotations

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from cocm import db
from cocm.checkins import start_checkin
from cocm.models import Conversation
from cocm.portal import links
from tests.cocm.portal.helpers import T0, build
from tests.patient_app.portal.web import post_form

ALL = {f"q{n}": "0" for n in range(1, 10)}


@pytest.fixture
def linked(session, recorder):
    world = build(links=True, first_names=False)
    conversation = start_checkin(db.Session, world.patient, "PHQ-9", T0)
    session.commit()
    return world, conversation.id, conversation.assessment_id


def _conversation(conversation_id: int) -> Conversation:
    return db.Session.scalar(
        select(Conversation)
        .where(Conversation.id == conversation_id)
        .execution_options(populate_existing=True)
    )


def test_a_link_opens_only_its_questionnaire(client, linked):
    world, conversation_id, assessment_id = linked
    with freeze_time(T0):
        opened = client.get(f"/q/{links.make_token(conversation_id)}")
        assert opened.headers["Location"].endswith(f"/portal/checkins/{assessment_id}")
        page = client.get(opened.headers["Location"])
        assert page.status_code == 200 and "Mood check-in" in page.text
        assert "Dana" not in page.text and "/portal/contact" not in page.text
        assert client.get("/portal").headers["Location"].endswith("/portal/sign-in")
        assert client.get("/portal/checkins/due/1").status_code == 302
        assert client.get(f"/portal/checkins/{assessment_id + 1}").status_code == 302
    assert _conversation(conversation_id).link_used_at == T0


def test_answering_through_a_link_closes_the_text_check_in(client, linked):
    world, conversation_id, assessment_id = linked
    with freeze_time(T0):
        client.get(f"/q/{links.make_token(conversation_id)}")
        sent = post_form(client, f"/portal/checkins/{assessment_id}", ALL | {"action": "finish"})
        after = client.get(sent.headers["Location"])
    assert "Your answers were sent" in after.text and "You can close this page" in after.text
    assert "Back to your page" not in after.text
    conversation = _conversation(conversation_id)
    assert (conversation.status, conversation.closed_reason) == ("completed", "completed")


def test_a_link_works_once(patient_app, linked):
    world, conversation_id, _ = linked
    token = links.make_token(conversation_id)
    with freeze_time(T0):
        assert patient_app.test_client().get(f"/q/{token}").status_code == 302
        second = patient_app.test_client().get(f"/q/{token}")
    assert second.status_code == 410 and "already used" in second.text
    assert 'href="/portal/sign-in"' in second.text


def test_a_link_expires_with_its_conversation(client, linked):
    world, conversation_id, _ = linked
    conversation = _conversation(conversation_id)
    conversation.status = "expired"
    db.Session.commit()
    with freeze_time(T0):
        response = client.get(f"/q/{links.make_token(conversation_id)}")
    assert response.status_code == 410 and "This link has expired" in response.text
    assert _conversation(conversation_id).link_used_at is None


def test_a_forged_link_is_not_found_and_counted(client, linked):
    with freeze_time(T0):
        response = client.get("/q/1.AAAAAAAAAAAA")
    assert response.status_code == 404 and "not valid" in response.text
    from cocm.models import PortalAttempt

    assert db.Session.scalar(select(PortalAttempt.action)) == "link_check"


def test_a_link_visit_ends_after_fifteen_idle_minutes(client, linked):
    from datetime import timedelta

    world, conversation_id, assessment_id = linked
    with freeze_time(T0) as clock:
        client.get(f"/q/{links.make_token(conversation_id)}")
        clock.tick(timedelta(minutes=16))
        response = client.get(f"/portal/checkins/{assessment_id}")
    assert response.status_code == 302 and response.headers["Location"].endswith("/sign-in")
