from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from cocm.enrollment.fields import us_phone_e164, valid_zone
from cocm.enrollment.service import AlreadyEnrolled, EnrollmentData, EnrollmentError, enroll
from cocm.enrollment.wording import DEFAULT_ENROLLMENT_SCRIPT, enrollment_script
from cocm.models import ConsentEvent, MeasurementSchedule
from tests.cocm.clinics.helpers import Team

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)


def _data(team, **overrides) -> EnrollmentData:
    values = dict(
        clinic_id=team.clinic.id,
        first_name="Luis",
        last_name="Ortega",
        mrn="B-77",
        date_of_birth=date(1975, 6, 1),
        phone="415 555 2671",
        language="es",
        care_manager_id=team.manager.id,
        treating_clinician_id=team.clinician.id,
        sms_consent=True,
        program="bhi",
        initiating_visit_on=date(2026, 2, 1),
        consent_on=date(2026, 3, 2),
        consent_method="written",
        baseline="clinic",
        phq9=[1] * 9,
        gad7=[None] * 7,
        goals="Feel less worried at work",
        safety_steps="Call 988",
    )
    values.update(overrides)
    return EnrollmentData(**values)


def test_enroll_writes_patient_consent_episode_plan_and_schedules(session):
    team = Team()
    result = enroll(session, _data(team), team.manager, NOW)
    assert result.patient.phone_e164 == "+14155552671"
    assert result.patient.timezone == team.clinic.timezone
    assert result.episode.program == "bhi" and result.episode.consent_method == "written"
    assert DEFAULT_ENROLLMENT_SCRIPT in result.episode.consent_note
    assert result.care_plan.version == 1 and result.care_plan.signed_by_id is None
    consent = session.scalar(
        select(ConsentEvent).where(ConsentEvent.patient_id == result.patient.id)
    )
    assert consent.wording.startswith("Su equipo de atención")  # in the patient's language
    due = {
        s.instrument: s.next_due_at
        for s in session.scalars(
            select(MeasurementSchedule).where(MeasurementSchedule.episode_id == result.episode.id)
        )
    }
    # PHQ-9 measured now: due after the cadence; GAD-7 left blank: due now.
    assert due == {"PHQ-9": NOW + timedelta(days=14), "GAD-7": NOW}
    assert [a.instrument for a in result.assessments] == ["PHQ-9"]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"phone": "12"}, "phone", "not valid"),
        ({"phone": "", "sms_consent": True}, "phone", "Enter a mobile number"),
        ({"consent_method": None}, "consent_method", "verbal, written or electronic"),
        ({"initiating_visit_on": date(2025, 1, 5)}, "initiating_visit_on", "last 12 months"),
        ({"consent_on": date(2026, 3, 3)}, "consent_on", "cannot be in the future"),
        ({"timezone": "Nowhere/Else"}, "timezone", "Choose a time zone"),
        ({"goals": "  "}, "goals", "Enter the patient's goals"),
        ({"gad7": [1, 1, None, 1, 1, 1, 1]}, "gad7", "Answer all seven"),
        ({"phq9": [1] * 8 + [4]}, "phq9", "0-3"),
        ({"cadence_days": 3}, "cadence_days", "7 to 56"),
    ],
)
def test_enroll_refuses_bad_input_naming_the_field(session, overrides, field, message):
    team = Team()
    with pytest.raises(EnrollmentError) as error:
        enroll(session, _data(team, **overrides), team.manager, NOW)
    assert error.value.field == field and message in error.value.message


def test_staff_must_belong_to_the_clinic(session):
    team, other = Team(), Team()
    with pytest.raises(EnrollmentError) as error:
        enroll(session, _data(team, care_manager_id=other.manager.id), team.manager, NOW)
    assert error.value.field == "care_manager_id"


def test_same_mrn_twice_is_already_enrolled(session):
    team = Team()
    first = enroll(session, _data(team), team.manager, NOW)
    with pytest.raises(AlreadyEnrolled) as error:
        enroll(session, _data(team), team.manager, NOW)
    assert error.value.patient_id == first.patient.id


def test_text_baseline_schedules_gad7_after_the_phq9_conversation(session):
    team = Team()
    result = enroll(session, _data(team, baseline="text", phq9=[], gad7=[]), team.manager, NOW)
    due = {
        s.instrument: s.next_due_at
        for s in session.scalars(
            select(MeasurementSchedule).where(MeasurementSchedule.episode_id == result.episode.id)
        )
    }
    assert due["PHQ-9"] == NOW + timedelta(days=14)
    assert due["GAD-7"] == NOW + timedelta(days=2)
    assert result.texted and result.assessments == []


def test_phone_and_zone_checks():
    assert us_phone_e164("+1 (202) 555-0143") == "+12025550143"
    with pytest.raises(ValueError, match="not a phone number"):
        us_phone_e164("call me")
    assert valid_zone("America/Chicago") and not valid_zone("../etc/passwd")


def test_clinic_script_replaces_the_default():
    class Clinic:
        enrollment_script = "  Our words.  "

    assert enrollment_script(Clinic()) == "Our words."
    Clinic.enrollment_script = None
    assert enrollment_script(Clinic()) == DEFAULT_ENROLLMENT_SCRIPT
