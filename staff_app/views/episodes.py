"""Closing an episode or stepping it down, and signing care plans."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from cocm import db
from cocm.clock import local, utcnow
from cocm.episodes.closing import CloseData, close_episode, outreach_attempts
from cocm.episodes.service import EpisodeError, open_episode, plans_to_sign, sign_care_plan
from cocm.models import CarePlan, Patient
from cocm.referrals.service import ReferralData
from staff_app.access import (
    CLINICAL_ROLES,
    audit,
    clinic_ids,
    current_staff,
    patient_or_404,
    roles_required,
)
from staff_app.forms.common import chart_url, show_error
from staff_app.forms.episodes import CloseForm, SignForm

bp = Blueprint("episodes", __name__)


def _close_page(form, patient, episode, status=200):
    attempts = outreach_attempts(db.Session, patient, episode.started_on) if episode else None
    zone = patient.clinic.timezone
    return render_template(
        "episodes/close.html",
        form=form,
        patient=patient,
        episode=episode,
        attempts=attempts,
        minimum=patient.clinic.disengage_after_attempts,
        when=lambda moment: local(moment, zone).strftime("%b %d, %Y %H:%M"),
    ), status


@bp.route("/patients/<int:patient_id>/episode/close", methods=["GET", "POST"])
@roles_required("care_manager")
def close(patient_id: int):
    patient = patient_or_404(
        patient_id, "care_manager", action="chart_view" if request.method == "GET" else None
    )
    episode = open_episode(db.Session, patient.id)
    form = CloseForm()
    if request.method == "GET" or not form.validate_on_submit():
        if request.method == "GET" and episode is None:
            flash("This patient has no open episode.")
        return _close_page(form, patient, episode, 200 if request.method == "GET" else 422)
    referral = None
    if form.outcome.data == "transferred":
        referral = ReferralData(
            kind=form.referral_kind.data,
            to_whom=form.referral_to_whom.data,
            due_by=form.referral_due_by.data,
            note=form.referral_note.data,
        )
    data = CloseData(
        outcome=form.outcome.data,
        note=form.note.data or "",
        reentry_note=form.reentry_note.data,
        referral=referral,
    )
    try:
        closed, made = close_episode(db.Session, patient, data, current_staff(), utcnow())
    except EpisodeError as exc:
        if exc.field is None:
            flash(exc.message)
            return redirect(chart_url(patient.id))
        show_error(form, exc.field, exc.message)
        return _close_page(form, patient, episode, 422)
    audit(
        "episode_stepped_down" if closed.status == "relapse_prevention" else "episode_closed",
        patient=patient,
        object_type="episode",
        object_id=closed.id,
        status=closed.status,
        referral_id=made.id if made is not None else None,
    )
    if closed.status == "relapse_prevention":
        flash("Stepped down to relapse prevention; the updated care plan awaits signature.")
    else:
        flash(f"Episode closed as {closed.status}.")
    return redirect(chart_url(patient.id))


@bp.route("/care-plans/to-sign")
@roles_required("treating_clinician")
def to_sign():
    me = current_staff()
    rows = plans_to_sign(db.Session, clinic_ids("treating_clinician"), me.id)
    audit("care_plans_to_sign_view", count=len(rows))
    return render_template("episodes/to_sign.html", rows=rows, me=me, form=SignForm())


def _plan_or_404(patient: Patient, plan_id: int) -> CarePlan:
    plan = db.Session.get(CarePlan, plan_id)
    if plan is None or plan.episode.patient_id != patient.id:
        abort(404)
    return plan


@bp.route("/patients/<int:patient_id>/care-plans/<int:plan_id>")
@roles_required(*CLINICAL_ROLES)
def care_plan(patient_id: int, plan_id: int):
    patient = patient_or_404(patient_id, *CLINICAL_ROLES, action=None)
    plan = _plan_or_404(patient, plan_id)
    audit("care_plan_view", patient=patient, object_type="care_plan", object_id=plan.id)
    can_sign = patient.clinic_id in clinic_ids("treating_clinician")
    return render_template(
        "episodes/care_plan.html",
        patient=patient,
        plan=plan,
        can_sign=can_sign and plan.signed_at is None,
        form=SignForm(),
        when=lambda moment: local(moment, patient.clinic.timezone).strftime("%b %d, %Y %H:%M"),
    )


@bp.route(
    "/patients/<int:patient_id>/care-plans/<int:plan_id>/sign",
    methods=["POST"],
    endpoint="sign_care_plan",
)
@roles_required("treating_clinician")
def sign_care_plan_view(patient_id: int, plan_id: int):
    patient = patient_or_404(patient_id, action=None)
    if patient.clinic_id not in clinic_ids("treating_clinician"):
        abort(403)
    plan = _plan_or_404(patient, plan_id)
    form = SignForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        signed = sign_care_plan(db.Session, plan, current_staff(), utcnow())
    except EpisodeError as exc:
        flash(exc.message)
        return redirect(url_for("episodes.care_plan", patient_id=patient.id, plan_id=plan.id))
    if signed:
        audit(
            "care_plan_signed",
            patient=patient,
            object_type="care_plan",
            object_id=plan.id,
            version=plan.version,
        )
        flash(f"Care plan version {plan.version} signed.")
    else:
        flash("This care plan was already signed.")
    target = request.form.get("next", "")
    if target == "to_sign":
        return redirect(url_for("episodes.to_sign"))
    return redirect(url_for("episodes.care_plan", patient_id=patient.id, plan_id=plan.id))
