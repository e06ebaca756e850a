"""Referrals: making one, marking it scheduled, seen or cancelled, and the overdue list."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from cocm import db
from cocm.clock import local, utcnow
from cocm.models import Patient, Referral
from cocm.referrals.service import (
    ReferralData,
    ReferralError,
    ReferralUpdate,
    create_referral,
    is_overdue,
    overdue_referrals,
    patient_referrals,
    update_referral,
)
from staff_app.access import (
    CLINICAL_ROLES,
    audit,
    clinic_ids,
    current_staff,
    patient_or_404,
    roles_required,
)
from staff_app.forms.common import show_error
from staff_app.forms.referrals import ReferralForm, ReferralUpdateForm

bp = Blueprint("referrals", __name__)


def _today(patient: Patient):
    return local(utcnow(), patient.clinic.timezone).date()


def _index_page(patient, form=None, update_form=None, failed_id=None, status=200):
    referrals = patient_referrals(db.Session, patient.id)
    return render_template(
        "referrals/index.html",
        patient=patient,
        referrals=referrals,
        today=_today(patient),
        is_overdue=is_overdue,
        update_form=update_form or ReferralUpdateForm(formdata=None),
        failed_id=failed_id,
        can_edit=patient.clinic_id in clinic_ids("care_manager"),
    ), status


@bp.route("/patients/<int:patient_id>/referrals")
@roles_required(*CLINICAL_ROLES)
def index(patient_id: int):
    patient = patient_or_404(patient_id, *CLINICAL_ROLES)
    return _index_page(patient)


@bp.route("/patients/<int:patient_id>/referrals/new", methods=["GET", "POST"])
@roles_required("care_manager")
def new(patient_id: int):
    patient = patient_or_404(
        patient_id, "care_manager", action="chart_view" if request.method == "GET" else None
    )
    form = ReferralForm()
    if form.validate_on_submit():
        data = ReferralData(
            kind=form.kind.data,
            to_whom=form.to_whom.data,
            note=form.note.data,
            due_by=form.due_by.data,
        )
        try:
            referral, created = create_referral(
                db.Session, patient, data, current_staff(), _today(patient)
            )
        except ReferralError as exc:
            show_error(form, exc.field, exc.message)
        else:
            if created:
                audit(
                    "referral_created",
                    patient=patient,
                    object_type="referral",
                    object_id=referral.id,
                    kind=referral.kind,
                    due_by=referral.due_by.isoformat(),
                )
                flash("Referral saved; it stays on the list until the patient is seen.")
            else:
                flash("This referral is already open; nothing was added.")
            return redirect(url_for("referrals.index", patient_id=patient.id))
    status = 422 if request.method == "POST" else 200
    return render_template("referrals/new.html", form=form, patient=patient), status


@bp.route("/patients/<int:patient_id>/referrals/<int:referral_id>/update", methods=["POST"])
@roles_required("care_manager")
def update(patient_id: int, referral_id: int):
    patient = patient_or_404(patient_id, "care_manager", action=None)
    referral = db.Session.get(Referral, referral_id)
    if referral is None or referral.patient_id != patient.id:
        abort(404)
    form = ReferralUpdateForm()
    if form.validate_on_submit():
        change = ReferralUpdate(status=form.status.data, on=form.on.data, note=form.note.data)
        try:
            changed = update_referral(db.Session, referral, change, _today(patient))
        except ReferralError as exc:
            show_error(form, exc.field, exc.message)
        else:
            if changed:
                audit(
                    "referral_updated",
                    patient=patient,
                    object_type="referral",
                    object_id=referral.id,
                    status=referral.status,
                )
                flash(f"Referral marked {referral.status}.")
            return redirect(url_for("referrals.index", patient_id=patient.id))
    return _index_page(patient, update_form=form, failed_id=referral.id, status=422)


@bp.route("/referrals/overdue")
@roles_required(*CLINICAL_ROLES)
def overdue():
    ids = clinic_ids(*CLINICAL_ROLES)
    # UTC's date is never behind a US clinic's; each row is then checked on its clinic's day.
    rows = overdue_referrals(db.Session, ids, utcnow().date())
    clinics_today: dict[int, object] = {}
    patients = {
        p.id: p
        for p in db.Session.scalars(
            select(Patient).where(Patient.id.in_({r.patient_id for r in rows}))
        )
    }
    visible = []
    for referral in rows:
        patient = patients[referral.patient_id]
        today = clinics_today.setdefault(patient.clinic_id, _today(patient))
        if is_overdue(referral, today):
            visible.append((referral, patient, (today - referral.due_by).days))
    audit("referrals_overdue_view", count=len(visible))
    return render_template("referrals/overdue.html", rows=visible)
