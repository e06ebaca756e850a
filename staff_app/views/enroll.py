"""Enrolling a patient, and a new episode for a returning patient."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request
from sqlalchemy import select

from cocm import db
from cocm.clinics.checklist import setup_checklist
from cocm.clock import local, utcnow
from cocm.enrollment.fields import US_ZONES
from cocm.enrollment.service import AlreadyEnrolled, EnrollmentError, enroll
from cocm.enrollment.wording import SMS_CONSENT, enrollment_script, sms_consent_wording
from cocm.episodes.service import reentry_blocked
from cocm.models import Clinic, Membership, Patient, Staff
from staff_app.access import audit, clinic_ids, current_staff, patient_or_404, roles_required
from staff_app.forms.common import chart_url, options, show_error
from staff_app.forms.enroll import PATIENT_FIELDS, EnrollForm, enrollment_data

bp = Blueprint("enroll", __name__)


def _clinics() -> list[Clinic]:
    ids = clinic_ids("care_manager")
    return list(db.Session.scalars(select(Clinic).where(Clinic.id.in_(ids)).order_by(Clinic.name)))


def _people(clinics: list[Clinic], role: str) -> list[tuple[int, str]]:
    rows = db.Session.execute(
        select(Staff.id, Staff.full_name, Clinic.name)
        .join(Membership, Membership.staff_id == Staff.id)
        .join(Clinic, Clinic.id == Membership.clinic_id)
        .where(
            Membership.clinic_id.in_([c.id for c in clinics]),
            Membership.role == role,
            Staff.is_active.is_(True),
        )
        .order_by(Staff.full_name)
    ).all()
    several = len(clinics) > 1
    return options(
        [("", "Choose…")]
        + [(sid, f"{name} ({clinic})" if several else name) for sid, name, clinic in rows]
    )


def _prepare(form: EnrollForm, clinics: list[Clinic], patient: Patient | None) -> Clinic:
    form.clinic_id.choices = options((c.id, c.name) for c in clinics)
    form.care_manager_id.choices = _people(clinics, "care_manager")
    form.treating_clinician_id.choices = _people(clinics, "treating_clinician")
    clinic = next((c for c in clinics if c.id == form.clinic_id.data), clinics[0])
    zones = list(dict.fromkeys((clinic.timezone, *US_ZONES)))
    form.timezone.choices = options((z, z.replace("_", " ")) for z in zones)
    if request.method == "GET":
        me = current_staff()
        form.clinic_id.data = clinic.id
        form.care_manager_id.data = me.id
        form.timezone.data = clinic.timezone
        form.consent_on.data = local(utcnow(), clinic.timezone).date()
        form.cadence_days.data = clinic.default_cadence_days
        if patient is not None:
            form.clinic_id.data = patient.clinic_id
            form.phone.data = patient.phone_e164
            form.language.data = patient.language
            form.timezone.data = patient.zone
            form.care_manager_id.data = patient.care_manager_id or me.id
            form.treating_clinician_id.data = patient.treating_clinician_id
    if patient is not None:
        for name in PATIENT_FIELDS:
            del form[name]
    return clinic


def _page(form, clinic, patient=None, blocked=None, status=200):
    missing = [c.label for c in setup_checklist(db.Session, clinic) if not c.done]
    wording = {lang: sms_consent_wording(lang, clinic.name) for lang in SMS_CONSENT}
    return render_template(
        "enroll/new.html",
        form=form,
        patient=patient,
        blocked=blocked,
        missing=missing,
        script=enrollment_script(clinic),
        sms_wording=wording,
    ), status


def _submit(form: EnrollForm, clinics: list[Clinic], clinic: Clinic, patient: Patient | None):
    if not form.validate_on_submit():
        return _page(form, clinic, patient, status=422 if request.method == "POST" else 200)
    if form.clinic_id.data not in {c.id for c in clinics}:
        show_error(form, "clinic_id", "Choose one of your clinics.")
        return _page(form, clinic, patient, status=422)
    data = enrollment_data(form, patient.id if patient is not None else None)
    try:
        result = enroll(db.Session, data, current_staff(), utcnow())
    except AlreadyEnrolled as exc:
        flash("This patient is already enrolled; nothing was added.")
        return redirect(chart_url(exc.patient_id))
    except EnrollmentError as exc:
        for field, message in exc.errors:
            show_error(form, field, message)
        return _page(form, clinic, patient, status=422)
    audit(
        "enroll",
        patient=result.patient,
        object_type="episode",
        object_id=result.episode.id,
        program=result.episode.program,
        baseline=data.baseline,
        sms_consent=data.sms_consent,
        new_patient=patient is None,
        care_plan_id=result.care_plan.id,
    )
    flash(f"{result.patient.full_name} is enrolled. The care plan is waiting for signature.")
    if result.texted:
        flash("The baseline questions go out by text in the patient's texting window.")
    if any(a.risk for a in result.assessments):
        flash(
            "PHQ-9 item 9 was answered above 0: an urgent item is open in the queue. "
            "Follow the risk protocol before the patient leaves."
        )
    for warning in result.warnings:
        flash(warning)
    return redirect(chart_url(result.patient.id))


@bp.route("/enroll", methods=["GET", "POST"])
@roles_required("care_manager")
def new():
    clinics = _clinics()
    form = EnrollForm()
    clinic = _prepare(form, clinics, None)
    return _submit(form, clinics, clinic, None)


@bp.route("/patients/<int:patient_id>/episodes/new", methods=["GET", "POST"])
@roles_required("care_manager")
def new_episode(patient_id: int):
    patient = patient_or_404(
        patient_id, "care_manager", action="chart_view" if request.method == "GET" else None
    )
    clinics = [patient.clinic]
    form = EnrollForm()
    clinic = _prepare(form, clinics, patient)
    if request.method == "GET":
        today = local(utcnow(), clinic.timezone).date()
        blocked = reentry_blocked(db.Session, patient, today)
        if blocked:
            return _page(form, clinic, patient, blocked=blocked)
    return _submit(form, clinics, clinic, patient)
