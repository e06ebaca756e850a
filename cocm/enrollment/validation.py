"""Checks of an enrollment submission: every problem is collected so the form shows them all."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm import instruments
from cocm.contacts import measures
from cocm.enrollment.errors import EnrollmentError
from cocm.enrollment.fields import us_phone_e164, valid_zone
from cocm.episodes.service import add_months
from cocm.models import Clinic, Membership, Staff
from cocm.models.enums import CONSENT_METHODS, LANGUAGES, PROGRAMS

BASELINE_MODES = ("clinic", "text")
MIN_CADENCE, MAX_CADENCE = 7, 56
# Payers expect the initiating visit within the year before services start (DESIGN 7).
INITIATING_VISIT_MONTHS = 12


class Errors:
    """Every problem of one submission, so the form shows them all at once (first per field)."""

    def __init__(self):
        self.items: list[tuple[str, str]] = []

    def add(self, field_name: str, message: str) -> None:
        if all(f != field_name for f, _ in self.items):
            self.items.append((field_name, message))

    def raise_any(self) -> None:
        if self.items:
            field_name, message = self.items[0]
            raise EnrollmentError(field_name, message, errors=self.items)


def _text(errors, value, field_name: str, label: str, limit: int, required=True) -> str:
    value = (value or "").strip()
    if required and not value:
        errors.add(field_name, f"Enter the {label}.")
    elif len(value) > limit:
        errors.add(field_name, f"Keep the {label} under {limit} characters.")
    return value


def _member(session: Session, staff_id: int | None, clinic_id: int, role: str) -> Staff | None:
    if staff_id is None:
        return None
    return session.scalar(
        select(Staff)
        .join(Membership, Membership.staff_id == Staff.id)
        .where(
            Staff.id == staff_id,
            Staff.is_active.is_(True),
            Membership.clinic_id == clinic_id,
            Membership.role == role,
        )
    )


def check_patient(session, data, clinic: Clinic, today: date, errors) -> dict:
    values: dict = {}
    if data.patient_id is None:
        values["first_name"] = _text(errors, data.first_name, "first_name", "first name", 80)
        values["last_name"] = _text(errors, data.last_name, "last_name", "last name", 80)
        values["mrn"] = _text(errors, data.mrn, "mrn", "MRN", 40)
        if data.date_of_birth is None:
            errors.add("date_of_birth", "Enter the date of birth.")
        elif data.date_of_birth > today or data.date_of_birth.year < 1900:
            errors.add("date_of_birth", "Check the date of birth.")
        values["date_of_birth"] = data.date_of_birth
    phone = (data.phone or "").strip()
    values["phone_e164"] = None
    if phone:
        try:
            values["phone_e164"] = us_phone_e164(phone)
        except ValueError as exc:
            errors.add("phone", str(exc))
    elif data.sms_consent:
        errors.add("phone", "Enter a mobile number to send texts to, or untick text consent.")
    if data.language not in LANGUAGES:
        errors.add("language", "Choose English or Spanish.")
    values["language"] = data.language
    zone = (data.timezone or "").strip() or clinic.timezone
    if not valid_zone(zone):
        errors.add("timezone", "Choose a time zone from the list, e.g. America/Chicago.")
    values["timezone"] = zone
    manager = _member(session, data.care_manager_id, clinic.id, "care_manager")
    if manager is None:
        errors.add("care_manager_id", "Choose a care manager of this clinic.")
    clinician = _member(session, data.treating_clinician_id, clinic.id, "treating_clinician")
    if clinician is None:
        errors.add("treating_clinician_id", "Choose a treating clinician of this clinic.")
    values["care_manager_id"] = manager.id if manager else None
    values["treating_clinician_id"] = clinician.id if clinician else None
    return values


def _check_date(errors, value, field_name, missing, future, stale, today) -> None:
    if value is None:
        errors.add(field_name, missing)
    elif value > today:
        errors.add(field_name, future)
    elif value < add_months(today, -INITIATING_VISIT_MONTHS):
        errors.add(field_name, stale)


def check_episode(data, today: date, errors) -> None:
    if data.program not in PROGRAMS:
        errors.add("program", "Choose collaborative care (CoCM) or general behavioral health.")
    _check_date(
        errors,
        data.initiating_visit_on,
        "initiating_visit_on",
        "Enter the date of the initiating visit.",
        "The initiating visit cannot be in the future.",
        "The initiating visit must be within the last 12 months; book a new visit first.",
        today,
    )
    _check_date(
        errors,
        data.consent_on,
        "consent_on",
        "Enter the date the patient agreed to collaborative care.",
        "The consent date cannot be in the future.",
        "Consent more than 12 months old must be asked for again.",
        today,
    )
    if data.consent_method not in CONSENT_METHODS:
        errors.add("consent_method", "Choose how consent was given: verbal, written or electronic.")
    _text(errors, data.consent_note, "consent_note", "consent note", 2000, required=False)
    if data.cadence_days is not None and not MIN_CADENCE <= data.cadence_days <= MAX_CADENCE:
        errors.add("cadence_days", f"Measure every {MIN_CADENCE} to {MAX_CADENCE} days.")


def check_baseline(data, errors) -> None:
    if data.baseline not in BASELINE_MODES:
        errors.add("baseline", "Choose whether the baseline is entered now or sent by text.")
        return
    if data.baseline == "text":
        if not data.sms_consent:
            errors.add(
                "baseline", "The baseline can only go by text if the patient agreed to texts."
            )
        return
    phq9 = list(data.phq9 or [])
    gad7 = list(data.gad7 or [])
    if len(phq9) < 9 or any(a is None for a in phq9[:9]):
        errors.add("phq9", "Answer all nine PHQ-9 questions for the baseline.")
    if measures.has_answers(gad7) and (len(gad7) != 7 or any(a is None for a in gad7)):
        errors.add("gad7", "Answer all seven GAD-7 questions, or leave them all blank.")
    for name, code, answers in (("phq9", "PHQ-9", phq9), ("gad7", "GAD-7", gad7)):
        if measures.has_answers(answers):
            try:
                instruments.score(code, answers)
            except ValueError as exc:
                errors.add(name, str(exc))


def check_plan(data, errors) -> dict:
    return {
        "goals": _text(errors, data.goals, "goals", "patient's goals", 4000),
        "medications": _text(errors, data.medications, "medications", "medications", 4000, False),
        "skill_plan": _text(errors, data.skill_plan, "skill_plan", "skill plan", 4000, False),
        "follow_up": _text(errors, data.follow_up, "follow_up", "follow-up plan", 4000, False),
        "safety_steps": _text(errors, data.safety_steps, "safety_steps", "safety steps", 4000),
    }
