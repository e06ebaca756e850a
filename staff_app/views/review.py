"""Case review: the weekly sessions, the agenda the registry builds, and running the review.

Psychiatric consultants run reviews and record; care managers add patients and record who
attended; clinic leads see everything. The clinician's inbox and the care manager's loop list
live in ``staff_app.views.review_loop`` (the same blueprint). Another clinic's review is a 404.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from cocm import db
from cocm.clock import local, utcnow
from cocm.models import CaseReview, CaseReviewItem, Clinic, Patient
from cocm.models.enums import EPISODE_STATUSES
from cocm.registry import FLAGS, RegistryFilters, registry_rows
from cocm.registry.display import Display
from cocm.review import lists
from cocm.review.agenda import REASON_LABELS, REASONS, add_patient, build_agenda
from cocm.review.errors import NotAllowed, ReviewError
from cocm.review.overdue import overdue_recommendations
from cocm.review.recommendations import KIND_LABELS, STATUS_LABELS
from cocm.review.record import RecommendationInput, record_item
from cocm.review.schedule import (
    attendee_ids,
    clinic_reviews,
    eligible_attendees,
    ensure_upcoming_review,
    finish_review,
    item_counts,
    set_attendees,
    start_review,
)
from staff_app.access import CLINICAL_ROLES, audit, clinic_ids, current_staff, roles_required
from staff_app.forms.common import show_error
from staff_app.forms.review import (
    ActionForm,
    AddPatientForm,
    AttendeesForm,
    RecordForm,
)

bp = Blueprint("review", __name__, url_prefix="/case-reviews")


@bp.context_processor
def _endpoints() -> dict:
    return {"endpoints": current_app.view_functions}


RUNNERS = ("psychiatric_consultant",)
ATTENDANCE_ROLES = ("psychiatric_consultant", "care_manager", "clinic_lead")


def _review_or_404(review_id: int, *roles: str) -> CaseReview:
    review = db.Session.scalar(
        select(CaseReview).where(
            CaseReview.id == review_id, CaseReview.clinic_id.in_(clinic_ids(*roles))
        )
    )
    if review is None:
        abort(404)
    return review


def _today(clinic: Clinic):
    return local(utcnow(), clinic.timezone).date()


@bp.route("/")
@roles_required(*CLINICAL_ROLES)
def index():
    now = utcnow()
    ids = clinic_ids(*CLINICAL_ROLES)
    clinics = list(db.Session.scalars(select(Clinic).where(Clinic.id.in_(ids))))
    unscheduled = [c for c in clinics if ensure_upcoming_review(db.Session, c, now) is None]
    upcoming, past = clinic_reviews(db.Session, ids, now)
    overdue = overdue_recommendations(db.Session, ids, now)
    patients = {
        p.id: p
        for p in db.Session.scalars(
            select(Patient).where(Patient.id.in_({o.patient_id for o in overdue}))
        )
    }
    audit("case_reviews_view", count=len(upcoming) + len(past))
    return render_template(
        "review/index.html",
        upcoming=upcoming,
        past=past,
        counts=item_counts(db.Session, [r.id for r in upcoming + past]),
        kind_labels=KIND_LABELS,
        status_labels=STATUS_LABELS,
        has_loop=bool(clinic_ids("care_manager", "clinic_lead")),
        has_inbox=bool(clinic_ids("treating_clinician")),
        clinics={c.id: c for c in clinics},
        unscheduled=unscheduled,
        overdue=overdue,
        patients=patients,
        fmt=Display(clinics[0].timezone if clinics else "UTC", now),
        to_tell=len(lists.loop_list(db.Session, clinic_ids("care_manager"), 0, now)[0]),
    )


def _show_page(review: CaseReview, *, status=200, forms=None, add_form=None, printing=False):
    """The agenda and, for the consultant, the forms to run it."""
    now = utcnow()
    clinic = db.Session.get(Clinic, review.clinic_id)
    today = _today(clinic)
    items = list(
        db.Session.scalars(
            select(CaseReviewItem)
            .options(selectinload(CaseReviewItem.patient))
            .where(CaseReviewItem.review_id == review.id)
            .order_by(CaseReviewItem.position, CaseReviewItem.id)
        )
    )
    rows = {
        r.patient_id: r
        for r in registry_rows(
            db.Session,
            {clinic.id},
            RegistryFilters(clinic_id=clinic.id, statuses=EPISODE_STATUSES),
            today,
        )
    }
    here, earlier = lists.for_review(db.Session, review, {i.patient_id for i in items}, now)
    attending = attendee_ids(db.Session, review.id)
    team = eligible_attendees(db.Session, clinic.id)
    names = lists.staff_names(
        db.Session, [review.consultant_id, *(i.added_by_id for i in items), *attending]
    )
    can_run = review.clinic_id in clinic_ids(*RUNNERS) and review.status != "done"
    forms = forms or {}
    if can_run:
        for item in items:
            if item.id not in forms:
                forms[item.id] = RecordForm(
                    formdata=None,
                    prefix=f"item{item.id}",
                    data={"assessment": item.assessment, "minutes": item.minutes},
                )
    attendees_form = AttendeesForm(formdata=None, data={"attendees": sorted(attending)})
    attendees_form.attendees.choices = [(s.id, s.full_name) for s in team]
    sections = [
        (reason, REASON_LABELS[reason], [i for i in items if i.reason == reason])
        for reason in REASONS
    ]
    return render_template(
        "review/show.html",
        review=review,
        clinic=clinic,
        sections=[s for s in sections if s[2]],
        count=len(items),
        reviewed=sum(1 for i in items if i.reviewed_at is not None),
        rows=rows,
        here=here,
        earlier=earlier,
        names=names,
        attending=[s for s in team if s.id in attending],
        fmt=Display(clinic.timezone, now),
        flag_labels=FLAGS,
        forms=forms,
        add_form=add_form or AddPatientForm(formdata=None),
        attendees_form=attendees_form,
        action_form=ActionForm(),
        can_run=can_run,
        can_add=review.clinic_id in clinic_ids("care_manager") and review.status != "done",
        can_attend=review.clinic_id in clinic_ids(*ATTENDANCE_ROLES),
        printing=printing,
    ), status


@bp.route("/<int:review_id>")
@roles_required(*CLINICAL_ROLES)
def show(review_id: int):
    review = _review_or_404(review_id, *CLINICAL_ROLES)
    if review.status == "planned":
        # The agenda follows the registry until the review starts (adding only, never moving).
        clinic = db.Session.get(Clinic, review.clinic_id)
        build_agenda(db.Session, review, _today(clinic))
    printing = request.args.get("view") == "print"
    audit(
        "case_review_view",
        clinic_id=review.clinic_id,
        object_type="case_review",
        object_id=review.id,
        printed=printing,
    )
    return _show_page(review, printing=printing)


def _done(review: CaseReview):
    return redirect(url_for("review.show", review_id=review.id))


def _valid_action_or_400() -> None:
    if not ActionForm().validate_on_submit():
        abort(400)


@bp.route("/<int:review_id>/start", methods=["POST"])
@roles_required(*RUNNERS)
def start(review_id: int):
    review = _review_or_404(review_id, *CLINICAL_ROLES)
    _valid_action_or_400()
    try:
        if start_review(db.Session, review, current_staff(), utcnow()):
            audit(
                "case_review_started",
                clinic_id=review.clinic_id,
                object_type="case_review",
                object_id=review.id,
            )
    except NotAllowed as exc:
        abort(403, description=exc.message)
    except ReviewError as exc:
        flash(exc.message)
    return _done(review)


@bp.route("/<int:review_id>/finish", methods=["POST"])
@roles_required(*RUNNERS)
def finish(review_id: int):
    review = _review_or_404(review_id, *CLINICAL_ROLES)
    _valid_action_or_400()
    try:
        if finish_review(db.Session, review, current_staff(), utcnow()):
            audit(
                "case_review_finished",
                clinic_id=review.clinic_id,
                object_type="case_review",
                object_id=review.id,
            )
            flash("Review finished. Patients not reached come back on the next agenda.")
    except NotAllowed as exc:
        abort(403, description=exc.message)
    return _done(review)


@bp.route("/<int:review_id>/refresh", methods=["POST"])
@roles_required(*ATTENDANCE_ROLES)
def refresh(review_id: int):
    review = _review_or_404(review_id, *ATTENDANCE_ROLES)
    _valid_action_or_400()
    clinic = db.Session.get(Clinic, review.clinic_id)
    added = build_agenda(db.Session, review, _today(clinic))
    audit(
        "case_review_agenda_built",
        clinic_id=review.clinic_id,
        object_type="case_review",
        object_id=review.id,
        added=len(added),
    )
    flash(f"Agenda refreshed: {len(added)} patient{'s' if len(added) != 1 else ''} added.")
    return _done(review)


@bp.route("/<int:review_id>/attendees", methods=["POST"])
@roles_required(*ATTENDANCE_ROLES)
def attendees(review_id: int):
    review = _review_or_404(review_id, *ATTENDANCE_ROLES)
    form = AttendeesForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        changed = set_attendees(
            db.Session, review, form.attendees.data or [], current_staff(), utcnow()
        )
    except NotAllowed as exc:
        abort(403, description=exc.message)
    except ReviewError as exc:
        flash(exc.message)
        return _show_page(review, status=422)
    if changed:
        audit(
            "case_review_attendees",
            clinic_id=review.clinic_id,
            object_type="case_review",
            object_id=review.id,
            attendees=sorted(form.attendees.data or []),
        )
        flash("Attendance saved.")
    return _done(review)


@bp.route("/<int:review_id>/add", methods=["POST"])
@roles_required("care_manager")
def add(review_id: int):
    review = _review_or_404(review_id, "care_manager")
    form = AddPatientForm()
    if not form.validate_on_submit():
        return _show_page(review, status=422, add_form=form)
    mrn = (form.mrn.data or "").strip()
    patient = db.Session.scalar(
        select(Patient).where(Patient.clinic_id == review.clinic_id, Patient.mrn == mrn)
    )
    try:
        if patient is None:
            raise ReviewError("mrn", "No patient with this MRN in this clinic.")
        item, created = add_patient(
            db.Session,
            review,
            patient,
            current_staff(),
            form.reason.data,
            form.note.data,
            utcnow(),
        )
    except NotAllowed as exc:
        abort(403, description=exc.message)
    except ReviewError as exc:
        show_error(form, exc.field, exc.message)
        return _show_page(review, status=422, add_form=form)
    audit(
        "case_review_patient_added",
        patient=patient,
        object_type="case_review_item",
        object_id=item.id,
        reason=item.reason,
        created=created,
    )
    flash(
        f"{patient.full_name} added to the agenda."
        if created
        else f"{patient.full_name} was already on the agenda; your note was added."
    )
    return _done(review)


def _slot_inputs(form: RecordForm) -> list[RecommendationInput | None]:
    return [
        RecommendationInput(kind=e.form.kind.data, detail=e.form.detail.data, dose=e.form.dose.data)
        for e in form.recs.entries
    ]


def _record_error(form: RecordForm, exc: ReviewError) -> None:
    if exc.field and exc.field.startswith("recs-"):
        _, index, name = exc.field.split("-")
        target = form.recs.entries[int(index)].form[name]
        target.errors = [*target.errors, exc.message]
    else:
        show_error(form, exc.field, exc.message)


@bp.route("/<int:review_id>/items/<int:item_id>", methods=["POST"])
@roles_required(*RUNNERS)
def record(review_id: int, item_id: int):
    review = _review_or_404(review_id, *RUNNERS)
    item = db.Session.get(CaseReviewItem, item_id)
    if item is None or item.review_id != review.id:
        abort(404)
    form = RecordForm(prefix=f"item{item.id}")
    if not form.validate_on_submit():
        return _show_page(review, status=422, forms={item.id: form})
    try:
        result = record_item(
            db.Session,
            item,
            current_staff(),
            form.assessment.data,
            form.minutes.data,
            _slot_inputs(form),
            utcnow(),
        )
    except NotAllowed as exc:
        abort(403, description=exc.message)
    except ReviewError as exc:
        _record_error(form, exc)
        return _show_page(review, status=422, forms={item.id: form})
    patient = item.patient
    audit(
        "case_review_recorded",
        patient=patient,
        object_type="case_review_item",
        object_id=item.id,
        minutes=item.minutes,
        recommendations=[r.id for r in result.added],
    )
    flash(
        f"Saved for {patient.full_name}: {len(result.added)} new recommendation"
        f"{'s' if len(result.added) != 1 else ''} sent to the treating clinician."
        if result.changed
        else f"Nothing new for {patient.full_name}; already saved."
    )
    return redirect(url_for("review.show", review_id=review.id) + f"#item-{item.id}")


from staff_app.views import review_loop  # noqa: E402, F401  (registers the loop's routes on bp)
