from datetime import UTC, datetime

from freezegun import freeze_time
from sqlalchemy import func, select

from cocm.models import (
    Assessment,
    AuditEvent,
    CarePlan,
    ConsentEvent,
    Conversation,
    Episode,
    MeasurementSchedule,
    Message,
    Patient,
    QueueItem,
)
from tests.cocm.clinics.helpers import Team, csrf, signed_in
from tests.factories import EpisodeFactory, PatientFactory

NOW = "2026-03-02 15:00:00"  # 10:00 in New York


def _form(page_html: str, team: Team, **overrides) -> dict:
    data = {
        "csrf_token": csrf(page_html),
        "clinic_id": str(team.clinic.id),
        "first_name": "Rosa",
        "last_name": "Delgado",
        "mrn": "A-1001",
        "date_of_birth": "1980-04-12",
        "phone": "(202) 555-0143",
        "language": "en",
        "timezone": "America/New_York",
        "care_manager_id": str(team.manager.id),
        "treating_clinician_id": str(team.clinician.id),
        "sms_consent": "y",
        "program": "cocm",
        "initiating_visit_on": "2026-02-20",
        "consent_on": "2026-03-02",
        "consent_method": "verbal",
        "baseline": "clinic",
        "goals": "Sleep better and get back to walking with my sister.",
        "medications": "Sertraline 50 mg",
        "skill_plan": "Behavioral activation",
        "follow_up": "Phone every two weeks",
        "safety_steps": "Call or text 988; call the clinic.",
        "cadence_days": "14",
    }
    for n, v in enumerate([2, 2, 1, 2, 1, 1, 1, 0, 0], start=1):
        data[f"phq9_{n}"] = str(v)
    for n, v in enumerate([1, 2, 1, 1, 0, 1, 1], start=1):
        data[f"gad7_{n}"] = str(v)
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_enrollment_happy_path(staff_app, session):
    team = Team()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = client.get("/enroll")
        assert page.status_code == 200
        assert "Reply" not in page.text or "STOP" in page.text
        response = client.post("/enroll", data=_form(page.text, team))
    assert response.status_code == 302, response.text
    patient = session.scalar(select(Patient).where(Patient.mrn == "A-1001"))
    assert patient.phone_e164 == "+12025550143"
    assert patient.care_manager_id == team.manager.id
    consent = session.scalar(select(ConsentEvent).where(ConsentEvent.patient_id == patient.id))
    assert consent.kind == "sms_consent_given" and consent.source == "enrollment"
    assert "STOP" in consent.wording
    episode = session.scalar(select(Episode).where(Episode.patient_id == patient.id))
    assert episode.status == "enrolled" and episode.consent_method == "verbal"
    assert episode.started_on.isoformat() == "2026-03-02"
    plan = session.scalar(select(CarePlan).where(CarePlan.episode_id == episode.id))
    assert plan.version == 1 and plan.signed_at is None
    phq = session.scalar(
        select(Assessment).where(
            Assessment.patient_id == patient.id, Assessment.instrument == "PHQ-9"
        )
    )
    assert phq.total == 10 and phq.severity == "moderate" and phq.channel == "clinic"
    assert phq.status == "completed" and not phq.risk
    schedules = session.scalars(
        select(MeasurementSchedule).where(MeasurementSchedule.episode_id == episode.id)
    ).all()
    assert {s.instrument for s in schedules} == {"PHQ-9", "GAD-7"}
    assert all(s.next_due_at == datetime(2026, 3, 16, 15, tzinfo=UTC) for s in schedules)
    welcome = session.scalar(select(Message).where(Message.patient_id == patient.id))
    assert welcome.kind == "welcome"
    assert (
        session.scalar(select(AuditEvent).where(AuditEvent.action == "enroll")).patient_id
        == patient.id
    )


def _enroll_page(client):
    page = client.get("/enroll")
    assert page.status_code == 200
    return page


def test_bad_phone_is_named_next_to_the_field_and_input_is_kept(staff_app, session):
    team = Team()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = _enroll_page(client)
        response = client.post("/enroll", data=_form(page.text, team, phone="555-01"))
    assert response.status_code == 422
    assert "This phone number is not valid" in response.text
    assert 'value="Rosa"' in response.text and 'value="A-1001"' in response.text
    assert session.scalar(select(func.count()).select_from(Patient)) == 0


def test_missing_consent_date_is_refused(staff_app, session):
    team = Team()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = _enroll_page(client)
        response = client.post("/enroll", data=_form(page.text, team, consent_on=""))
    assert response.status_code == 422
    assert "Enter the date the patient agreed to collaborative care." in response.text
    assert session.scalar(select(func.count()).select_from(Episode)) == 0


def test_incomplete_phq9_baseline_is_refused(staff_app, session):
    team = Team()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = _enroll_page(client)
        data = _form(page.text, team)
        del data["phq9_4"]
        response = client.post("/enroll", data=data)
    assert response.status_code == 422
    assert "Answer all nine PHQ-9 questions" in response.text


def test_duplicate_mrn_is_refused_with_a_message(staff_app, session):
    team = Team()
    PatientFactory(clinic=team.clinic, mrn="A-1001")  # on record, no open episode
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = _enroll_page(client)
        response = client.post("/enroll", data=_form(page.text, team))
    assert response.status_code == 422
    assert "A patient with this MRN is already on record" in response.text


def test_form_posted_twice_enrolls_once(staff_app, session):
    team = Team()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = _enroll_page(client)
        data = _form(page.text, team)
        first = client.post("/enroll", data=data)
        second = client.post("/enroll", data=data)
        assert first.status_code == 302 and second.status_code == 302
        assert "already enrolled" in client.get("/").text
    assert session.scalar(select(func.count()).select_from(Patient)) == 1
    assert session.scalar(select(func.count()).select_from(Episode)) == 1
    assert session.scalar(select(func.count()).select_from(CarePlan)) == 1


def test_baseline_by_text_starts_a_checkin(staff_app, session):
    team = Team()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = _enroll_page(client)
        data = {k: v for k, v in _form(page.text, team, baseline="text").items()}
        data = {k: v for k, v in data.items() if not k.startswith(("phq9_", "gad7_"))}
        response = client.post("/enroll", data=data)
    assert response.status_code == 302, response.text
    patient = session.scalar(select(Patient).where(Patient.mrn == "A-1001"))
    conversation = session.scalar(select(Conversation).where(Conversation.patient_id == patient.id))
    assert conversation.instrument == "PHQ-9" and conversation.status == "open"
    kinds = set(session.scalars(select(Message.kind).where(Message.patient_id == patient.id)))
    assert "welcome" in kinds and len(kinds) == 2


def test_text_baseline_needs_sms_consent(staff_app, session):
    team = Team()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = _enroll_page(client)
        data = _form(page.text, team, baseline="text", sms_consent=None)
        response = client.post("/enroll", data=data)
    assert response.status_code == 422
    assert "only go by text if the patient agreed to texts" in response.text


def test_risk_answer_at_baseline_opens_an_urgent_item(staff_app, session):
    team = Team()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = _enroll_page(client)
        response = client.post("/enroll", data=_form(page.text, team, phq9_9="2"))
    assert response.status_code == 302
    item = session.scalar(select(QueueItem))
    assert item.priority == "urgent" and item.kind == "risk_answer"


def test_clinic_not_set_up_cannot_enroll(staff_app, session):
    team = Team(review_weekday=None, review_time=None)
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = _enroll_page(client)
        assert "Case review day and time" in page.text
        response = client.post("/enroll", data=_form(page.text, team))
    assert response.status_code == 422
    assert "Finish clinic setup before enrolling" in response.text


def test_only_care_managers_enroll(staff_app, session):
    team = Team()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.clinician)
        assert client.get("/enroll").status_code == 403


def test_returning_patient_gets_a_new_episode_after_six_months(staff_app, session):
    team = Team()
    patient = PatientFactory(clinic=team.clinic, care_manager_id=team.manager.id)
    EpisodeFactory(
        patient=patient,
        status="completed",
        started_on=datetime(2025, 3, 1).date(),
        ended_on=datetime(2025, 8, 1).date(),
    )
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = client.get(f"/patients/{patient.id}/episodes/new")
        assert page.status_code == 200 and "Start the episode" in page.text
        data = _form(page.text, team, first_name=None, last_name=None, mrn=None)
        response = client.post(f"/patients/{patient.id}/episodes/new", data=data)
        assert response.status_code == 302, response.text
        again = client.post(f"/patients/{patient.id}/episodes/new", data=data)
        assert again.status_code == 302
    episodes = session.scalars(select(Episode).where(Episode.patient_id == patient.id)).all()
    assert sorted(e.status for e in episodes) == ["completed", "enrolled"]


def test_returning_patient_within_six_months_is_refused(staff_app, session):
    team = Team()
    patient = PatientFactory(clinic=team.clinic)
    EpisodeFactory(
        patient=patient,
        status="completed",
        started_on=datetime(2025, 9, 1).date(),
        ended_on=datetime(2026, 1, 10).date(),
    )
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = client.get(f"/patients/{patient.id}/episodes/new")
    assert "from 2026-07-10" in page.text and "Start the episode" not in page.text


def test_another_clinics_patient_is_not_found(staff_app, session):
    team, other = Team(), Team()
    stranger = PatientFactory(clinic=other.clinic)
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        assert client.get(f"/patients/{stranger.id}/episodes/new").status_code == 404


def test_every_problem_is_shown_at_once(staff_app, session):
    team = Team()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = _enroll_page(client)
        data = _form(page.text, team, phone="12", consent_on="", goals="", consent_method=None)
        response = client.post("/enroll", data=data)
    assert response.status_code == 422
    for message in (
        "This phone number is not valid",
        "Enter the date the patient agreed to collaborative care.",
        "Enter the patient&#39;s goals.",
        "Choose how consent was given",
    ):
        assert message in response.text
