from datetime import UTC, datetime

from freezegun import freeze_time
from sqlalchemy import func, select

from cocm.models import Assessment, AuditEvent, Contact, Conversation, QueueItem, TimeEntry
from tests.cocm.clinics.helpers import Team, csrf, hidden, signed_in
from tests.factories import EpisodeFactory, PatientFactory

NOW = "2026-03-10 15:00:00"  # 11:00 in New York (daylight time)


def _setup():
    team = Team()
    patient = PatientFactory(clinic=team.clinic, care_manager_id=team.manager.id)
    episode = EpisodeFactory(patient=patient, status="enrolled")
    return team, patient, episode


def _form(html, **overrides):
    data = {
        "csrf_token": csrf(html),
        "form_token": hidden(html, "form_token"),
        "kind": "phone",
        "outcome": "reached",
        "template": "follow_up",
        "occurred_at": "2026-03-10T10:30",
        "note": (
            "Mood and symptoms since last contact: sleeping better\n"
            "Medicines: adherence and side effects: taking daily, mild nausea\n"
            "Skill practice: walked three times\n"
            "Safety check: denies thoughts of self-harm\n"
            "Plan until next contact: keep walking"
        ),
        "minutes": "20",
        "activity": "brief_intervention",
        "next_contact_at": "2026-03-24T10:00",
        "next_action": "Follow-up call",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_contact_note_saves_contact_time_scores_and_next_contact(staff_app, session):
    team, patient, episode = _setup()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = client.get(f"/patients/{patient.id}/contacts/new?template=follow_up")
        assert page.status_code == 200
        assert "Safety check:" in page.text  # the template's prompts are in the textarea
        answers = {f"phq9_{n}": "1" for n in range(1, 10)} | {"phq9_9": "0", "confirm_by_text": "y"}
        response = client.post(
            f"/patients/{patient.id}/contacts/new", data=_form(page.text, **answers)
        )
    assert response.status_code == 302, response.text
    contact = session.scalar(select(Contact).where(Contact.patient_id == patient.id))
    assert contact.kind == "phone" and contact.minutes == 20 and contact.template == "follow_up"
    assert contact.occurred_at == datetime(2026, 3, 10, 14, 30, tzinfo=UTC)
    assert contact.next_contact_at == datetime(2026, 3, 24, 14, 0, tzinfo=UTC)
    assert contact.next_action == "Follow-up call"
    entry = session.scalar(select(TimeEntry).where(TimeEntry.contact_id == contact.id))
    assert entry.minutes == 20 and entry.role == "care_manager"
    assert entry.activity == "brief_intervention" and entry.performed_on.isoformat() == "2026-03-10"
    assessment = session.scalar(select(Assessment).where(Assessment.patient_id == patient.id))
    assert assessment.channel == "contact" and assessment.total == 8
    assert session.get(type(episode), episode.id).status == "active"
    # The next contact goes out for confirmation by text.
    assert session.scalar(select(Conversation).where(Conversation.contact_id == contact.id))
    assert (
        session.scalar(select(AuditEvent).where(AuditEvent.action == "contact_recorded")).object_id
        == contact.id
    )


def test_contact_posted_twice_is_saved_once(staff_app, session):
    team, patient, _ = _setup()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = client.get(f"/patients/{patient.id}/contacts/new")
        data = _form(page.text)
        first = client.post(f"/patients/{patient.id}/contacts/new", data=data)
        second = client.post(f"/patients/{patient.id}/contacts/new", data=data)
    assert first.status_code == 302 and second.status_code == 302
    count = select(func.count()).select_from(Contact).where(Contact.patient_id == patient.id)
    assert session.scalar(count) == 1
    entries = select(func.count()).select_from(TimeEntry).where(TimeEntry.patient_id == patient.id)
    assert session.scalar(entries) == 1


def test_template_elements_left_empty_are_named_and_the_note_is_kept(staff_app, session):
    team, patient, _ = _setup()
    note = "Mood and symptoms since last contact: better\nSafety check:\n"
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = client.get(f"/patients/{patient.id}/contacts/new")
        response = client.post(
            f"/patients/{patient.id}/contacts/new", data=_form(page.text, note=note)
        )
    assert response.status_code == 422
    assert "Write something under:" in response.text and "Safety check" in response.text
    assert "Mood and symptoms since last contact: better" in response.text
    assert session.scalar(select(func.count()).select_from(Contact)) == 0


def test_risk_answer_during_contact_opens_an_urgent_item(staff_app, session):
    team, patient, _ = _setup()
    answers = {f"phq9_{n}": "2" for n in range(1, 10)}
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = client.get(f"/patients/{patient.id}/contacts/new")
        response = client.post(
            f"/patients/{patient.id}/contacts/new", data=_form(page.text, **answers)
        )
    assert response.status_code == 302
    item = session.scalar(select(QueueItem).where(QueueItem.patient_id == patient.id))
    assert item.priority == "urgent" and item.kind == "risk_answer"


def test_scores_need_the_patient_reached(staff_app, session):
    team, patient, _ = _setup()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = client.get(f"/patients/{patient.id}/contacts/new")
        response = client.post(
            f"/patients/{patient.id}/contacts/new",
            data=_form(page.text, outcome="no_answer", template="", note="Rang twice", phq9_1="1"),
        )
    assert response.status_code == 422
    assert "Scores can only be recorded when the patient was reached." in response.text


def test_log_time_posted_twice_logs_once(staff_app, session):
    team, patient, _ = _setup()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.clinician)
        page = client.get(f"/patients/{patient.id}/time/new")
        data = {
            "csrf_token": csrf(page.text),
            "form_token": hidden(page.text, "form_token"),
            "performed_on": "2026-03-10",
            "minutes": "15",
            "activity": "care_coordination",
        }
        assert client.post(f"/patients/{patient.id}/time/new", data=data).status_code == 302
        assert client.post(f"/patients/{patient.id}/time/new", data=data).status_code == 302
    entries = session.scalars(select(TimeEntry).where(TimeEntry.patient_id == patient.id)).all()
    assert len(entries) == 1
    assert entries[0].role == "treating_clinician" and entries[0].minutes == 15


def test_log_time_refuses_a_future_day_and_keeps_the_input(staff_app, session):
    team, patient, _ = _setup()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = client.get(f"/patients/{patient.id}/time/new")
        response = client.post(
            f"/patients/{patient.id}/time/new",
            data={
                "csrf_token": csrf(page.text),
                "form_token": hidden(page.text, "form_token"),
                "performed_on": "2026-03-12",
                "minutes": "37",
                "activity": "care_coordination",
            },
        )
    assert response.status_code == 422
    assert "Time cannot be logged for a future day." in response.text
    assert 'value="37"' in response.text


def test_another_clinics_patient_is_not_found(staff_app, session):
    team, _, _ = _setup()
    other = Team()
    stranger = PatientFactory(clinic=other.clinic)
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        assert client.get(f"/patients/{stranger.id}/contacts/new").status_code == 404
        assert client.get(f"/patients/{stranger.id}/time/new").status_code == 404


def test_confirmation_text_never_interrupts_an_open_checkin(staff_app, session):
    from cocm.checkins import start_checkin

    team, patient, _ = _setup()
    with freeze_time(NOW):
        start_checkin(session, patient, "PHQ-9", datetime(2026, 3, 10, 14, tzinfo=UTC))
        session.flush()
        client = signed_in(staff_app, team.manager)
        page = client.get(f"/patients/{patient.id}/contacts/new")
        response = client.post(
            f"/patients/{patient.id}/contacts/new",
            data=_form(page.text, confirm_by_text="y"),
            follow_redirects=True,
        )
    assert "the patient is in the middle of a text check-in" in response.text
    open_ones = session.scalars(
        select(Conversation).where(
            Conversation.patient_id == patient.id, Conversation.status == "open"
        )
    ).all()
    assert [c.kind for c in open_ones] == ["checkin"]
