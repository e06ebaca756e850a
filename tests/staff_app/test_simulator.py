"""The SMS simulator: threads of the person's clinics only, replying as the patient through the
inbound pipeline, starting a check-in and delivering due texts without a worker."""

from __future__ import annotations

import re

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from cocm import db
from cocm.checkins import send_welcome, start_checkin
from cocm.models import Assessment, AuditEvent, Conversation, Message, OutboxItem
from tests.factories import PASSWORD, ClinicFactory, PatientFactory, staff_with_role
from tests.patient_app.twilio.helpers import NIGHT, T0, build_world, recorder  # noqa: F401


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)


@pytest.fixture
def world(session):
    built = build_world()
    session.commit()
    return built


def _sign_in(client, email: str) -> None:
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in", data={"email": email, "password": PASSWORD, "csrf_token": _csrf(page.text)}
    )
    assert response.status_code == 302


@pytest.fixture
def client(staff_app, world):
    client = staff_app.test_client()
    # Signed in at the tests' frozen time: a session signed "in the future" is not accepted.
    with freeze_time(T0):
        _sign_in(client, world.manager.email)
    return client


def _thread(client, world):
    response = client.get(f"/simulator/patients/{world.patient_id}")
    assert response.status_code == 200
    return response


def _post(client, world, action, **data):
    page = _thread(client, world)
    data["csrf_token"] = _csrf(page.text)
    return client.post(f"/simulator/patients/{world.patient_id}/{action}", data=data)


def _sid(html: str) -> str:
    return re.search(r'name="sid" value="(SMsim[0-9a-f]{32})"', html).group(1)


@freeze_time(T0)
def test_index_lists_the_clinics_patients_with_their_last_text(client, world, session):
    other = PatientFactory(clinic=ClinicFactory(), first_name="Elsewhere", last_name="Person")
    session.commit()
    start_checkin(db.Session(), world.patient, "PHQ-9", T0)
    db.Session.commit()
    response = client.get("/simulator/")
    assert response.status_code == 200
    assert world.patient.full_name in response.text and "a quick check-in" in response.text
    assert other.last_name not in response.text
    assert 'href="/simulator/"' in response.text  # the navigation links to it
    audited = db.Session.scalar(select(AuditEvent).where(AuditEvent.action == "sms_simulator_list"))
    assert audited.staff_id == world.manager_id


@freeze_time(T0)
def test_reply_as_the_patient_goes_through_the_inbound_pipeline(client, world):
    response = _post(client, world, "checkin", instrument="PHQ-9")
    assert response.status_code == 302
    conversation = db.Session.scalar(
        select(Conversation).where(Conversation.patient_id == world.patient_id)
    )
    assert conversation.status == "open" and conversation.instrument == "PHQ-9"

    page = _thread(client, world)
    assert "queued, goes" in page.text and "(1/9)" in page.text
    sid = _sid(page.text)
    data = {"csrf_token": _csrf(page.text), "sid": sid, "body": "2"}
    url = f"/simulator/patients/{world.patient_id}/reply"
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=data).status_code == 302  # posted twice: one text
    inbound = db.Session.scalars(select(Message).where(Message.twilio_sid == sid)).all()
    assert len(inbound) == 1 and inbound[0].direction == "inbound"
    assessment = db.Session.get(Assessment, conversation.assessment_id, populate_existing=True)
    assert assessment.answer_list(9)[0] == 2

    thread = _thread(client, world)
    assert "(2/9) Feeling down, depressed, or hopeless" in thread.text
    assert "From patient" in thread.text and "next item" in thread.text
    assert "PHQ-9 check-in:\n    1 of 9 answered." in thread.text
    actions = db.Session.scalars(
        select(AuditEvent.action).where(AuditEvent.patient_id == world.patient_id)
    ).all()
    assert "sms_thread_view" in actions and "sms_simulator_reply" in actions
    assert "checkin_started" in actions


@freeze_time(T0)
def test_start_checkin_refusal_is_shown(client, world):
    world.patient.sms_opted_out = True
    db.Session.commit()
    response = _post(client, world, "checkin", instrument="GAD-7")
    assert response.status_code == 302
    assert "opted out of text messages" in client.get(response.headers["Location"]).text


@freeze_time(T0)
def test_deliver_due_messages_now(client, world, recorder):  # noqa: F811
    send_welcome(db.Session(), world.patient, NIGHT)  # waits for tomorrow morning's window
    start_checkin(db.Session(), world.patient, "GAD-7", T0)  # due now
    db.Session.commit()
    recorder.reset()  # nothing was sent by the commit: no worker runs in this test
    response = _post(client, world, "deliver")
    assert response.status_code == 302
    assert [call.to for call in recorder.sent] == [world.patient.phone_e164]
    assert "GAD-7" not in recorder.sent[0].body and "(1/7)" in recorder.sent[0].body
    items = db.Session.scalars(
        select(OutboxItem).order_by(OutboxItem.id).execution_options(populate_existing=True)
    ).all()
    assert [i.status for i in items] == ["pending", "done"]
    thread = _thread(client, world)
    assert "queued, goes Wed Mar 04, 08:00 EST" in thread.text
    assert "No message is due yet." in client.get(_post(client, world, "deliver").location).text


@freeze_time(T0)
def test_another_clinics_patient_is_404(client, world, session):
    stranger = PatientFactory(clinic=ClinicFactory())
    stranger_id = stranger.id
    session.commit()
    assert client.get(f"/simulator/patients/{stranger_id}").status_code == 404
    token = _csrf(_thread(client, world).text)
    for action in ("reply", "checkin", "deliver"):
        response = client.post(
            f"/simulator/patients/{stranger_id}/{action}",
            data={"csrf_token": token, "body": "hi", "instrument": "PHQ-9"},
        )
        assert response.status_code == 404
    assert db.Session.scalars(select(Message).where(Message.patient_id == stranger_id)).all() == []


@freeze_time(T0)
def test_staff_pages_are_listed_separately(client, world):
    from cocm.risk.protocol import raise_risk

    item = raise_risk(db.Session(), patient=world.patient, kind="risk_words", reason="test", now=T0)
    item_id = item.id
    db.Session.commit()
    response = client.get("/simulator/")
    assert "Messages to staff" in response.text
    assert f"/staff/queue/{item_id}" in response.text


@freeze_time(T0)
def test_staff_of_another_clinic_get_404(staff_app, world, session):
    outsider = staff_with_role(ClinicFactory(), "treating_clinician")
    email = outsider.email
    session.commit()
    client = staff_app.test_client()
    _sign_in(client, email)
    assert client.get(f"/simulator/patients/{world.patient_id}").status_code == 404


@freeze_time(T0)
def test_with_real_twilio_the_simulator_is_read_only(settings, world, session):
    from dataclasses import replace

    from staff_app import create_app

    app = create_app(replace(settings, sms_transport="twilio"))
    app.config.update(TESTING=True)
    client = app.test_client()
    _sign_in(client, world.manager.email)
    page = client.get(f"/simulator/patients/{world.patient_id}")
    assert page.status_code == 200 and "Send as patient" not in page.text
    response = client.post(
        f"/simulator/patients/{world.patient_id}/reply",
        data={"csrf_token": _csrf(page.text), "body": "STOP"},
    )
    assert response.status_code == 403
    assert world.patient.sms_opted_out is False


@freeze_time(T0)
def test_the_thread_list_takes_the_same_queries_for_many_patients(client, world):
    from sqlalchemy import event

    def count_queries() -> int:
        statements = []

        def record(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append(statement)

        bind = db.Session().get_bind()
        target = bind.engine if hasattr(bind, "engine") else bind
        event.listen(target, "before_cursor_execute", record)
        try:
            assert client.get("/simulator/").status_code == 200
        finally:
            event.remove(target, "before_cursor_execute", record)
        return len(statements)

    few = count_queries()
    other_clinic = ClinicFactory(timezone="America/Chicago")
    for n in range(12):
        patient = PatientFactory(clinic=world.clinic if n % 2 else other_clinic)
        if n % 2 == 0:
            patient.timezone = None
        start_checkin(db.Session(), patient, "PHQ-9", T0)
    staff_with_role(other_clinic, "care_manager")
    from cocm.models import Membership

    db.Session.add(
        Membership(staff_id=world.manager_id, clinic_id=other_clinic.id, role="care_manager")
    )
    db.Session.commit()
    assert count_queries() <= few
