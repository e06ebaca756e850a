"""Patients through the API: search by MRN or name, create, update.

Creating a patient records who they are and, if they agreed, their consent to texts (with the
clinic's consent wording, in the consent log); starting care is a separate step (an episode).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cocm.api import people
from cocm.api.errors import Conflict, Invalid
from cocm.api.schemas.patients import PatientCreate, PatientUpdate
from cocm.clock import local
from cocm.enrollment.fields import us_phone_e164, valid_zone
from cocm.enrollment.wording import sms_consent_wording
from cocm.models import Clinic, ConsentEvent, Patient, Staff

_MRN_TAKEN = "Another patient of this clinic has this MRN."
_REQUIRED = ("mrn", "first_name", "last_name", "language")


def search(
    session: Session,
    clinic_ids: Collection[int],
    *,
    mrn: str | None = None,
    name: str | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[Patient]:
    """Patients of ``clinic_ids`` by id, after ``after_id``; ``limit + 1`` rows at most so the
    caller knows whether another page follows."""
    query = select(Patient).where(Patient.clinic_id.in_(list(clinic_ids)))
    if mrn:
        query = query.where(Patient.mrn == mrn)
    for word in (name or "").split():
        pattern = f"%{_escape(word.lower())}%"
        query = query.where(
            or_(
                func.lower(Patient.first_name).like(pattern, escape="\\"),
                func.lower(Patient.last_name).like(pattern, escape="\\"),
            )
        )
    if after_id is not None:
        query = query.where(Patient.id > after_id)
    return list(session.scalars(query.order_by(Patient.id).limit(limit + 1)))


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _phone(value: str | None, errors: list) -> str | None:
    if not value:
        return None
    try:
        return us_phone_e164(value)
    except ValueError as exc:
        errors.append(("phone", str(exc)))
        return None


def _staff_field(session, errors, name: str, staff_id, clinic: Clinic, role: str):
    if staff_id is None:
        return None
    found = people.member(session, staff_id, clinic.id, role)
    if found is None:
        label = role.replace("_", " ")
        errors.append((name, f"Choose an active {label} of {clinic.name}."))
        return None
    return found.id


def _zone(value: str | None, clinic: Clinic, errors: list) -> str:
    zone = value or clinic.timezone
    if not valid_zone(zone):
        errors.append(("timezone", "Use an IANA time zone, e.g. America/Chicago."))
    return zone


def _birth_date(value, clinic: Clinic, now: datetime, errors: list) -> None:
    if value is not None and value > local(now, clinic.timezone).date():
        errors.append(("date_of_birth", "The date of birth cannot be in the future."))


def _raise(errors: list[tuple[str, str]]) -> None:
    if errors:
        raise Invalid(errors[0][1], errors)


def _mrn_free(session: Session, clinic_id: int, mrn: str, patient_id: int | None = None) -> None:
    query = select(Patient.id).where(Patient.clinic_id == clinic_id, Patient.mrn == mrn)
    if patient_id is not None:
        query = query.where(Patient.id != patient_id)
    if session.scalar(query) is not None:
        raise Conflict(_MRN_TAKEN, [("mrn", _MRN_TAKEN)])


def _consent(session: Session, patient: Patient, clinic: Clinic, staff: Staff, now) -> None:
    patient.sms_consent_at = now
    session.add(
        ConsentEvent(
            patient_id=patient.id,
            kind="sms_consent_given",
            source="staff",
            wording=sms_consent_wording(patient.language, clinic.name),
            staff_id=staff.id,
            occurred_at=now,
            detail={"via": "api", "phone_last2": (patient.phone_e164 or "")[-2:]},
        )
    )


def create(
    session: Session, clinic: Clinic, data: PatientCreate, staff: Staff, now: datetime
) -> Patient:
    """Create a patient of ``clinic``. The care manager defaults to ``staff`` when they are one.

    Raises Invalid naming every field to correct, and Conflict when the MRN is taken.
    """
    errors: list[tuple[str, str]] = []
    _birth_date(data.date_of_birth, clinic, now, errors)
    phone = _phone(data.phone, errors)
    if data.sms_consent and not data.phone:
        errors.append(("phone", "Texts need a mobile number; add one or leave out sms_consent."))
    zone = _zone(data.timezone, clinic, errors)
    manager_id = data.care_manager_id
    if manager_id is None and people.member(session, staff.id, clinic.id, "care_manager"):
        manager_id = staff.id
    manager_id = _staff_field(
        session, errors, "care_manager_id", manager_id, clinic, "care_manager"
    )
    clinician_id = _staff_field(
        session,
        errors,
        "treating_clinician_id",
        data.treating_clinician_id,
        clinic,
        "treating_clinician",
    )
    _raise(errors)
    _mrn_free(session, clinic.id, data.mrn)
    patient = Patient(
        clinic_id=clinic.id,
        mrn=data.mrn,
        first_name=data.first_name,
        last_name=data.last_name,
        date_of_birth=data.date_of_birth,
        phone_e164=phone,
        language=data.language,
        timezone=zone,
        care_manager_id=manager_id,
        treating_clinician_id=clinician_id,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(patient)
            session.flush()
    except IntegrityError:
        # The same MRN, created by another request at the same moment.
        raise Conflict(_MRN_TAKEN, [("mrn", _MRN_TAKEN)]) from None
    if data.sms_consent:
        _consent(session, patient, clinic, staff, now)
    session.flush()
    return patient


def update(
    session: Session, patient: Patient, data: PatientUpdate, staff: Staff, now: datetime
) -> list[str]:
    """Change the fields sent in ``data``; returns the names of the fields that changed.

    A new phone number clears the carrier's flag on the old one. Raises Invalid or Conflict.
    """
    sent = data.model_fields_set
    clinic = patient.clinic
    errors: list[tuple[str, str]] = []
    for name in _REQUIRED:
        if name in sent and getattr(data, name) is None:
            errors.append((name, "This field cannot be cleared."))
    values: dict = {}
    for name in ("mrn", "first_name", "last_name", "language"):
        if name in sent and getattr(data, name) is not None:
            values[name] = getattr(data, name)
    if "date_of_birth" in sent:
        values["date_of_birth"] = data.date_of_birth
        _birth_date(data.date_of_birth, clinic, now, errors)
    if "phone" in sent:
        values["phone_e164"] = _phone(data.phone, errors)
    if "timezone" in sent:
        values["timezone"] = _zone(data.timezone, clinic, errors)
    if "care_manager_id" in sent:
        values["care_manager_id"] = _staff_field(
            session, errors, "care_manager_id", data.care_manager_id, clinic, "care_manager"
        )
    if "treating_clinician_id" in sent:
        values["treating_clinician_id"] = _staff_field(
            session,
            errors,
            "treating_clinician_id",
            data.treating_clinician_id,
            clinic,
            "treating_clinician",
        )
    consent = data.sms_consent is True
    number = values.get("phone_e164", patient.phone_e164)
    if consent and not number:
        errors.append(("phone", "Texts need a mobile number; add one first."))
    _raise(errors)
    if consent and patient.sms_opted_out:
        message = (
            "The patient opted out by replying STOP; only they can opt back in, by texting START."
        )
        raise Conflict(message, [("sms_consent", message)])
    if "mrn" in values:
        _mrn_free(session, clinic.id, values["mrn"], patient.id)
    changed = [name for name, value in values.items() if getattr(patient, name) != value]
    for name in changed:
        setattr(patient, name, values[name])
    if "phone_e164" in changed:
        patient.phone_problem = None
        patient.phone_problem_at = None
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(_MRN_TAKEN, [("mrn", _MRN_TAKEN)]) from None
    if consent and patient.sms_consent_at is None:
        _consent(session, patient, clinic, staff, now)
        changed.append("sms_consent")
    session.flush()
    return changed


def same_clinic_patient(
    session: Session, patient_id: int, clinic_ids: Collection[int]
) -> Patient | None:
    """The patient if they belong to one of ``clinic_ids``."""
    return session.scalar(
        select(Patient).where(
            and_(Patient.id == patient_id, Patient.clinic_id.in_(list(clinic_ids)))
        )
    )
