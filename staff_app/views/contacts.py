"""The contact note and the standalone time log for one patient."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request
from sqlalchemy import select

from cocm import db
from cocm.checkins import NotTextable, start_contact_confirmation
from cocm.checkins.records import open_conversation
from cocm.clock import local, utcnow
from cocm.contacts.service import (
    ContactData,
    ContactError,
    TimeData,
    log_time,
    record_contact,
    time_role,
)
from cocm.contacts.templates import TEMPLATES
from cocm.episodes.service import open_episode
from cocm.models import Contact
from staff_app.access import audit, current_staff, patient_or_404, roles_required
from staff_app.forms.common import answers, chart_url, show_error, to_local, to_utc
from staff_app.forms.contacts import ContactForm, TimeForm

bp = Blueprint("contacts", __name__)
CONTACT_ROLES = ("care_manager", "treating_clinician")
TIME_ROLES = ("care_manager", "treating_clinician", "psychiatric_consultant")


def _patient(patient_id: int, roles):
    return patient_or_404(
        patient_id, *roles, action="chart_view" if request.method == "GET" else None
    )


def _contact_page(form, patient, status=200):
    recent = db.Session.scalars(
        select(Contact)
        .where(Contact.patient_id == patient.id)
        .order_by(Contact.occurred_at.desc())
        .limit(3)
    ).all()
    return render_template(
        "contacts/new.html",
        form=form,
        patient=patient,
        episode=open_episode(db.Session, patient.id),
        templates=TEMPLATES,
        recent=recent,
        zone=patient.clinic.timezone,
        when=lambda moment: local(moment, patient.clinic.timezone).strftime("%b %d, %Y %H:%M"),
    ), status


@bp.route("/patients/<int:patient_id>/contacts/new", methods=["GET", "POST"])
@roles_required(*CONTACT_ROLES)
def new(patient_id: int):
    patient = _patient(patient_id, CONTACT_ROLES)
    zone = patient.clinic.timezone
    form = ContactForm()
    form.ensure_token()
    if request.method == "GET":
        chosen = TEMPLATES.get(request.args.get("template", ""))
        form.occurred_at.data = to_local(utcnow(), zone)
        if chosen is not None:
            form.template.data = chosen.code
            form.note.data = chosen.prompt_text()
            form.activity.data = chosen.activity
        return _contact_page(form, patient)
    if not form.validate_on_submit():
        return _contact_page(form, patient, 422)
    data = ContactData(
        kind=form.kind.data,
        outcome=form.outcome.data,
        occurred_at=to_utc(form.occurred_at.data, zone),
        note=form.note.data or "",
        form_token=form.form_token.data,
        template=form.template.data or None,
        minutes=form.minutes.data or 0,
        activity=form.activity.data,
        next_contact_at=to_utc(form.next_contact_at.data, zone),
        next_action=form.next_action.data,
        phq9=answers(form, "PHQ-9", "phq9"),
        gad7=answers(form, "GAD-7", "gad7"),
    )
    now = utcnow()
    try:
        saved = record_contact(db.Session, data, patient, current_staff(), now)
    except ContactError as exc:
        for field, message in exc.errors:
            show_error(form, field, message)
        return _contact_page(form, patient, 422)
    if not saved.created:
        flash("This contact was already saved.")
        return redirect(chart_url(patient.id))
    contact = saved.contact
    audit(
        "contact_recorded",
        patient=patient,
        object_type="contact",
        object_id=contact.id,
        kind=contact.kind,
        outcome=contact.outcome,
        minutes=contact.minutes,
        time_entry_id=saved.time_entry.id if saved.time_entry else None,
        assessment_ids=[a.id for a in saved.assessments],
    )
    flash("Contact saved.")
    if any(a.risk for a in saved.assessments):
        flash("PHQ-9 item 9 was answered above 0: an urgent item is open in the queue.")
    if form.confirm_by_text.data and contact.next_contact_at is not None:
        _confirm_by_text(contact, patient, now)
    return redirect(chart_url(patient.id))


def _confirm_by_text(contact, patient, now) -> None:
    open_one = open_conversation(db.Session, patient.id)
    if open_one is not None and open_one.kind == "checkin":
        # A confirmation would supersede the questions the patient is answering right now.
        flash("No confirmation text was sent: the patient is in the middle of a text check-in.")
        return
    try:
        start_contact_confirmation(db.Session, contact, now)
    except NotTextable as exc:
        flash(f"No confirmation text was sent: {exc}")
    else:
        flash("The patient will get a text to confirm the next contact.")


@bp.route("/patients/<int:patient_id>/time/new", methods=["GET", "POST"], endpoint="log_time")
@roles_required(*TIME_ROLES)
def log_time_page(patient_id: int):
    patient = _patient(patient_id, TIME_ROLES)
    zone = patient.clinic.timezone
    form = TimeForm()
    form.ensure_token()
    role = time_role(db.Session, current_staff(), patient.clinic_id)
    if request.method == "GET":
        form.performed_on.data = local(utcnow(), zone).date()
        return render_template("contacts/time.html", form=form, patient=patient, role=role)
    if form.validate_on_submit():
        data = TimeData(
            performed_on=form.performed_on.data,
            minutes=form.minutes.data,
            activity=form.activity.data,
            form_token=form.form_token.data,
            note=form.note.data,
        )
        try:
            saved = log_time(
                db.Session, data, patient, current_staff(), utcnow(), request.remote_addr
            )
        except ContactError as exc:
            show_error(form, exc.field, exc.message)
        else:
            flash("Time logged." if saved.created else "This time was already logged.")
            return redirect(chart_url(patient.id))
    page = render_template("contacts/time.html", form=form, patient=patient, role=role)
    return page, 422
