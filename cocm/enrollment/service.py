"""Enrolling a patient: one call that validates everything and writes it all, or nothing.

``enroll(session, data, staff, now)`` creates (or, for a returning patient, updates) the
patient, logs SMS consent with the wording shown, opens the episode with its documented
consent, records the baseline PHQ-9/GAD-7 entered in clinic or starts the baseline check-in by
text, writes care plan version 1 (unsigned, so it appears in the treating clinician's list to
sign) and the measurement schedules, and queues the welcome text. Problems raise
``EnrollmentError(field, message)`` naming the form field.

A form posted twice enrolls once: the MRN is unique per clinic and a patient has at most one
open episode, and both repeats raise ``AlreadyEnrolled`` carrying the patient's id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocm.checkins import NotTextable, require_textable, send_welcome, start_checkin
from cocm.checkins.service import send_at
from cocm.clinics.checklist import setup_checklist
from cocm.clock import local
from cocm.contacts import measures
from cocm.enrollment import validation
from cocm.enrollment.errors import AlreadyEnrolled, EnrollmentError
from cocm.enrollment.wording import enrollment_script, sms_consent_wording
from cocm.episodes import schedule
from cocm.episodes.service import open_episode, reentry_blocked
from cocm.models import CarePlan, Clinic, ConsentEvent, Episode, Patient, Staff

GAD7_AFTER_TEXTED_PHQ9 = timedelta(days=2)


@dataclass
class EnrollmentData:
    clinic_id: int
    patient_id: int | None = None  # set to start a new episode for a patient on record
    first_name: str = ""
    last_name: str = ""
    mrn: str = ""
    date_of_birth: date | None = None
    phone: str = ""
    language: str = "en"
    timezone: str | None = None
    care_manager_id: int | None = None
    treating_clinician_id: int | None = None
    sms_consent: bool = False
    program: str = "cocm"
    initiating_visit_on: date | None = None
    consent_on: date | None = None
    consent_method: str | None = None
    consent_note: str = ""
    baseline: str = "clinic"
    phq9: list[int | None] = field(default_factory=list)
    gad7: list[int | None] = field(default_factory=list)
    goals: str = ""
    medications: str = ""
    skill_plan: str = ""
    follow_up: str = ""
    safety_steps: str = ""
    cadence_days: int | None = None


@dataclass
class Enrolled:
    """What enrollment produced, for the page that follows."""

    patient: Patient
    episode: Episode
    care_plan: CarePlan
    assessments: list = field(default_factory=list)
    texted: bool = False
    warnings: list[str] = field(default_factory=list)


def _fail(field_name: str, message: str):
    raise EnrollmentError(field_name, message)


def _existing_patient(session: Session, data: EnrollmentData, today: date) -> Patient:
    patient = session.get(Patient, data.patient_id)
    if patient is None or patient.clinic_id != data.clinic_id:
        _fail("patient_id", "This patient is not on record in this clinic.")
    if open_episode(session, patient.id) is not None:
        raise AlreadyEnrolled(patient.id)
    blocked = reentry_blocked(session, patient, today)
    if blocked:
        _fail("consent_on", blocked)
    return patient


def _new_patient(session: Session, clinic: Clinic, values: dict, now: datetime) -> Patient:
    duplicate = session.scalar(
        select(Patient).where(Patient.clinic_id == clinic.id, Patient.mrn == values["mrn"])
    )
    if duplicate is not None:
        if open_episode(session, duplicate.id) is not None:
            raise AlreadyEnrolled(duplicate.id)
        _fail(
            "mrn",
            "A patient with this MRN is already on record; start a new episode from "
            "their chart instead.",
        )
    patient = Patient(clinic_id=clinic.id, created_at=now, **values)
    try:
        with session.begin_nested():
            session.add(patient)
            session.flush()
    except IntegrityError:
        # The same form, posted twice at once: the other request enrolled them first.
        existing = session.scalar(
            select(Patient.id).where(Patient.clinic_id == clinic.id, Patient.mrn == values["mrn"])
        )
        if existing is None:
            raise
        raise AlreadyEnrolled(existing) from None
    return patient


def enroll(session: Session, data: EnrollmentData, staff: Staff, now: datetime) -> Enrolled:
    """Enroll a patient in collaborative care (see the module docstring). Flushes, never commits."""
    clinic = session.get(Clinic, data.clinic_id)
    if clinic is None:
        _fail("clinic_id", "Choose a clinic.")
    missing = [check.label for check in setup_checklist(session, clinic) if not check.done]
    if missing:
        _fail("clinic_id", "Finish clinic setup before enrolling. Missing: " + "; ".join(missing))
    today = local(now, clinic.timezone).date()
    if data.patient_id is not None:
        patient = _existing_patient(session, data, today)
    errors = validation.Errors()
    values = validation.check_patient(session, data, clinic, today, errors)
    validation.check_episode(data, today, errors)
    validation.check_baseline(data, errors)
    plan_values = validation.check_plan(data, errors)
    errors.raise_any()

    if data.patient_id is None:
        patient = _new_patient(session, clinic, values, now)
    else:
        for key, value in values.items():
            setattr(patient, key, value)
        session.flush()
    wording = None
    if data.sms_consent:
        wording = sms_consent_wording(patient.language, clinic.name)
        patient.sms_consent_at = now
        session.add(
            ConsentEvent(
                patient_id=patient.id,
                kind="sms_consent_given",
                source="enrollment",
                wording=wording,
                staff_id=staff.id,
                occurred_at=now,
                detail={"phone_last2": (patient.phone_e164 or "")[-2:]},
            )
        )
    script = enrollment_script(clinic)
    note = (data.consent_note or "").strip()
    cadence = data.cadence_days if data.cadence_days != clinic.default_cadence_days else None
    episode = Episode(
        patient_id=patient.id,
        program=data.program,
        status="enrolled",
        initiating_visit_on=data.initiating_visit_on,
        consent_on=data.consent_on,
        consent_method=data.consent_method,
        consent_note=f"Explained: {script}" + (f"\n\nNote: {note}" if note else ""),
        started_on=today,
        cadence_days=cadence,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(episode)
            session.flush()
    except IntegrityError:
        raise AlreadyEnrolled(patient.id) from None
    plan = CarePlan(episode_id=episode.id, version=1, created_by_id=staff.id, created_at=now)
    for key, value in plan_values.items():
        setattr(plan, key, value or None)
    session.add(plan)
    session.flush()
    result = Enrolled(patient=patient, episode=episode, care_plan=plan)

    schedule.create_schedules(session, episode, _first_due(data, episode, clinic, patient, now))
    if data.baseline == "clinic":
        for code, answers in (("PHQ-9", data.phq9), ("GAD-7", data.gad7)):
            if measures.has_answers(answers):
                result.assessments.append(
                    measures.record_measure(
                        session,
                        patient=patient,
                        episode=episode,
                        instrument=code,
                        answers=answers,
                        channel="clinic",
                        staff=staff,
                        now=now,
                    )
                )
    if data.sms_consent:
        _text_patient(session, patient, data.baseline == "text", now, result)
    session.flush()
    return result


def _first_due(data, episode, clinic, patient, now) -> dict[str, datetime]:
    """Next due = baseline + cadence. A baseline still to come is due now, except a GAD-7
    after a texted PHQ-9 baseline: it waits until that conversation has surely closed (24 h
    after its last text), since a new check-in would supersede the open one."""
    cadence = now + timedelta(days=schedule.cadence_days(episode, clinic))
    if data.baseline == "text":
        return {"PHQ-9": cadence, "GAD-7": send_at(patient, now) + GAD7_AFTER_TEXTED_PHQ9}
    return {
        code: cadence if measures.has_answers(answers) else now
        for code, answers in (("PHQ-9", data.phq9), ("GAD-7", data.gad7))
    }


def _text_patient(session: Session, patient: Patient, baseline: bool, now, result) -> None:
    try:
        require_textable(patient)
    except NotTextable as exc:
        if baseline:
            _fail("baseline", str(exc))
        result.warnings.append(str(exc))
        return
    send_welcome(session, patient, now)
    if baseline:
        start_checkin(session, patient, "PHQ-9", now)
        result.texted = True
