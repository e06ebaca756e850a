"""The loop of a recommendation: the treating clinician's inbox and decision, the care manager's
list of decisions to tell patients, and recording that the patient was told.

Routes of the ``review`` blueprint (``staff_app.views.review`` imports this module before the
blueprint is registered; this module has no ``bp`` of its own so it is not registered twice).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from cocm import db
from cocm.clock import utcnow
from cocm.episodes.service import open_episode
from cocm.models import CarePlan, CaseReview, CaseReviewItem, Patient, Recommendation
from cocm.registry.display import Display
from cocm.review import lists
from cocm.review.errors import NotAllowed, ReviewError
from cocm.review.recommendations import (
    KIND_LABELS,
    STATUS_LABELS,
    CarePlanChange,
    communicate,
    decide,
)
from staff_app.access import (
    CLINICAL_ROLES,
    audit,
    clinic_ids,
    current_staff,
    roles_required,
)
from staff_app.forms.common import show_error, to_local, to_utc
from staff_app.forms.review import CommunicateForm, DecideForm
from staff_app.views import review as _review

_bp = _review.bp
# Kinds whose loop usually changes the care plan (the form's default answer).
PLAN_KINDS = ("medication", "therapy", "safety")


def _rec_or_404(rec_id: int, *roles: str) -> tuple[Recommendation, Patient]:
    row = db.Session.execute(
        select(Recommendation, Patient)
        .join(Patient, Patient.id == Recommendation.patient_id)
        .where(Recommendation.id == rec_id, Patient.clinic_id.in_(clinic_ids(*roles)))
    ).first()
    if row is None:
        abort(404)
    return row[0], row[1]


def _fmt(views, now) -> Display:
    return Display(views[0].zone if views else "UTC", now)


def _inbox_page(forms=None, status=200):
    now = utcnow()
    me = current_staff()
    ids = clinic_ids("treating_clinician")
    rows = lists.inbox(db.Session, ids, me.id, now)
    forms = forms or {}
    for v in rows:
        forms.setdefault(v.rec.id, DecideForm(formdata=None, prefix=f"rec{v.rec.id}"))
    decided = lists.decided_by(db.Session, me.id, now)
    to_sign = lists.plans_to_sign_from_recommendations(db.Session, ids, me.id)
    audit("recommendation_inbox_view", count=len(rows))
    return render_template(
        "review/inbox.html",
        rows=rows,
        forms=forms,
        decided=decided,
        to_sign=to_sign,
        me=me,
        fmt=_fmt(rows or decided, now),
    ), status


@_bp.route("/inbox")
@roles_required("treating_clinician")
def inbox():
    return _inbox_page()


@_bp.route("/recommendations/<int:rec_id>/decide", methods=["POST"])
@roles_required("treating_clinician")
def decide_view(rec_id: int):
    rec, patient = _rec_or_404(rec_id, "treating_clinician")
    form = DecideForm(prefix=f"rec{rec.id}")
    if not form.validate_on_submit():
        return _inbox_page({rec.id: form}, 422)
    try:
        changed = decide(
            db.Session,
            rec,
            current_staff(),
            form.action.data or "",
            reason=form.reason.data,
            modified_detail=form.modified_detail.data,
            now=utcnow(),
        )
    except NotAllowed as exc:
        abort(403, description=exc.message)
    except ReviewError as exc:
        if exc.field is None:
            flash(exc.message)
            return redirect(url_for("review.inbox"))
        show_error(form, exc.field, exc.message)
        return _inbox_page({rec.id: form}, 422)
    if changed:
        audit(
            f"recommendation_{rec.status}",
            patient=patient,
            object_type="recommendation",
            object_id=rec.id,
            reason=rec.decision_reason,
        )
        flash(f"Recommendation for {patient.full_name} {rec.status}.")
    else:
        flash("This decision was already recorded.")
    return redirect(url_for("review.inbox"))


@_bp.route("/loop")
@roles_required("care_manager", "clinic_lead")
def loop():
    now = utcnow()
    me = current_staff()
    ids = clinic_ids("care_manager", "clinic_lead")
    to_tell, waiting = lists.loop_list(db.Session, ids, me.id, now)
    audit("recommendation_loop_view", count=len(to_tell) + len(waiting))
    return render_template(
        "review/loop.html",
        to_tell=to_tell,
        waiting=waiting,
        me=me,
        can_close=bool(clinic_ids("care_manager")),
        fmt=_fmt(to_tell or waiting, now),
    )


def _current_plan(patient: Patient) -> CarePlan | None:
    episode = open_episode(db.Session, patient.id)
    if episode is None:
        return None
    return db.Session.scalar(
        select(CarePlan)
        .where(CarePlan.episode_id == episode.id)
        .order_by(CarePlan.version.desc())
        .limit(1)
    )


def _communicate_page(rec, patient, form, status=200):
    now = utcnow()
    item = db.Session.get(CaseReviewItem, rec.review_item_id)
    review = db.Session.get(CaseReview, item.review_id)
    names = lists.staff_names(db.Session, [rec.proposed_by_id, rec.decided_by_id])
    return render_template(
        "review/communicate.html",
        rec=rec,
        patient=patient,
        review=review,
        item=item,
        names=names,
        plan=_current_plan(patient),
        form=form,
        kind_labels=KIND_LABELS,
        status_labels=STATUS_LABELS,
        fmt=Display(patient.clinic.timezone, now),
    ), status


@_bp.route("/recommendations/<int:rec_id>/communicate", methods=["GET", "POST"])
@roles_required("care_manager")
def communicate_view(rec_id: int):
    rec, patient = _rec_or_404(rec_id, "care_manager")
    zone = patient.clinic.timezone
    if request.method == "GET":
        audit(
            "recommendation_view", patient=patient, object_type="recommendation", object_id=rec.id
        )
        plan = _current_plan(patient)
        data = {
            "when": to_local(utcnow(), zone),
            "plan_changed": "yes" if rec.kind in PLAN_KINDS and plan is not None else "no",
        }
        for name in CarePlanChange.plan_fields():
            data[name] = getattr(plan, name) if plan is not None else None
        return _communicate_page(rec, patient, CommunicateForm(formdata=None, data=data))
    form = CommunicateForm()
    if not form.validate_on_submit():
        return _communicate_page(rec, patient, form, 422)
    change = None
    if form.plan_changed.data == "yes":
        change = CarePlanChange(
            summary=form.change_summary.data or "",
            **{name: form[name].data or "" for name in CarePlanChange.plan_fields()},
        )
    try:
        closed, plan = communicate(
            db.Session,
            rec,
            current_staff(),
            form.how.data or "",
            to_utc(form.when.data, zone),
            change,
            now=utcnow(),
        )
    except NotAllowed as exc:
        abort(403, description=exc.message)
    except ReviewError as exc:
        if exc.field is None:
            flash(exc.message)
            return redirect(url_for("review.loop"))
        show_error(form, exc.field, exc.message)
        return _communicate_page(rec, patient, form, 422)
    if closed:
        audit(
            "recommendation_communicated",
            patient=patient,
            object_type="recommendation",
            object_id=rec.id,
            how=rec.communicated_how,
            care_plan_id=plan.id if plan is not None else None,
        )
        if plan is not None:
            audit(
                "care_plan_version_created",
                patient=patient,
                object_type="care_plan",
                object_id=plan.id,
                version=plan.version,
                recommendation_id=rec.id,
            )
        flash(
            f"Loop closed for {patient.full_name}"
            + (f"; care plan version {plan.version} awaits sign-off." if plan else ".")
        )
    else:
        flash("This was already recorded as told to the patient.")
    return redirect(url_for("review.loop"))


@_bp.app_context_processor
def _trail_helper() -> dict:
    """``recommendation_trail(patient_id)`` for the chart's include (review/_chart_trail.html):
    the chart view has already checked access and audited the view."""

    def recommendation_trail(patient_id: int):
        return lists.trail(db.Session, patient_id, clinic_ids(*CLINICAL_ROLES), utcnow())

    return {"recommendation_trail": recommendation_trail}
