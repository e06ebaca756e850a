"""The chart's start/stop timer and time-entry corrections (plain forms: no script needed).

The chart includes ``timer/_chart.html``, which calls ``time_panel(patient)`` (registered here
for the whole app) for the running timer and the time log with its corrections.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import Blueprint, abort, flash, redirect, render_template, request
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, IntegerField, SelectField, TextAreaField
from wtforms.validators import Optional

from cocm import db
from cocm.billing.month import add_months
from cocm.clock import local, utcnow
from cocm.contacts.service import time_role
from cocm.models import Patient, TimeEntry
from cocm.timer import (
    Correction,
    LogLine,
    NotAllowed,
    RunningTimer,
    TimerError,
    correct_entry,
    discard_timer,
    running_timer,
    start_timer,
    stop_timer,
    time_log,
)
from cocm.timer.corrections import CORRECTING_ROLES, may_correct
from staff_app.access import clinic_ids, current_staff, patient_or_404, roles_required
from staff_app.forms.common import chart_url, options, show_error
from staff_app.forms.contacts import ACTIVITY_CHOICES

bp = Blueprint("timer", __name__)
TIME_ROLES = ("care_manager", "treating_clinician", "psychiatric_consultant")
CORRECT_ROLES = (*TIME_ROLES, "clinic_lead")
ACTIVITY_OPTIONS = [("", "Choose the activity")] + ACTIVITY_CHOICES


class StopForm(FlaskForm):
    activity = SelectField("Activity", choices=options(ACTIVITY_OPTIONS), validate_choice=False)
    minutes = IntegerField("Minutes actually worked (optional)", validators=[Optional()])
    note = TextAreaField("What was done (optional)")


class CorrectForm(FlaskForm):
    performed_on = DateField("Day", validators=[Optional()])
    minutes = IntegerField("Minutes (0 withdraws the entry)", validators=[Optional()])
    activity = SelectField("Activity", choices=options(ACTIVITY_CHOICES), validate_choice=False)
    note = TextAreaField("Note")
    reason = TextAreaField("Reason for the correction")


@dataclass
class TimePanel:
    """What the chart's timer and time-log card shows."""

    timer: RunningTimer | None
    other_patient: Patient | None
    can_time: bool
    lines: list[LogLine]
    since: date
    now: datetime
    me_id: int
    is_lead: bool

    @property
    def running_here(self) -> bool:
        return self.timer is not None and self.other_patient is None

    @property
    def elapsed(self) -> int:
        return self.timer.elapsed_minutes(self.now) if self.timer is not None else 0

    def can_correct(self, line: LogLine) -> bool:
        return not line.superseded and (line.entry.staff_id == self.me_id or self.is_lead)


def _panel(patient: Patient) -> TimePanel:
    now = utcnow()
    me = current_staff()
    timer = running_timer(db.Session, me.id, now)
    other = None
    if timer is not None and timer.patient_id != patient.id:
        other = db.Session.scalar(
            select(Patient).where(
                Patient.id == timer.patient_id, Patient.clinic_id.in_(clinic_ids())
            )
        )
        if other is None:
            timer = None
    since = add_months(local(now, patient.clinic.timezone).date().replace(day=1), -1)
    return TimePanel(
        timer=timer,
        other_patient=other,
        can_time=time_role(db.Session, me, patient.clinic_id) is not None,
        lines=time_log(db.Session, patient.id, since=since),
        since=since,
        now=now,
        me_id=me.id,
        is_lead=patient.clinic_id in clinic_ids(*CORRECTING_ROLES),
    )


@bp.app_context_processor
def _time_panel() -> dict:
    if not current_user.is_authenticated:
        return {}
    return {"time_panel": _panel}


def _back(patient_id: int):
    return redirect(chart_url(patient_id) + "#time-log-h")


@bp.route("/patients/<int:patient_id>/timer/start", methods=["POST"])
@roles_required(*TIME_ROLES)
def start(patient_id: int):
    patient = patient_or_404(patient_id, *TIME_ROLES, action=None)
    now = utcnow()
    try:
        timer = start_timer(db.Session, patient, current_staff(), now, request.remote_addr)
    except TimerError as exc:
        flash(exc.message)
        return _back(patient_id)
    started = local(timer.started_at, patient.clinic.timezone)
    flash(f"Timer running since {started:%H:%M}.")
    return _back(patient_id)


def _stop_page(form, patient, timer, now, status=200):
    return render_template(
        "timer/stop.html",
        form=form,
        patient=patient,
        timer=timer,
        elapsed=timer.elapsed_minutes(now),
        started=local(timer.started_at, patient.clinic.timezone),
    ), status


@bp.route("/patients/<int:patient_id>/timer/stop", methods=["GET", "POST"])
@roles_required(*TIME_ROLES)
def stop(patient_id: int):
    patient = patient_or_404(
        patient_id, *TIME_ROLES, action="chart_view" if request.method == "GET" else None
    )
    now = utcnow()
    timer = running_timer(db.Session, current_staff().id, now)
    if timer is None or timer.patient_id != patient.id:
        flash("No timer is running for this patient: it was stopped already, or never started.")
        return _back(patient_id)
    form = StopForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _stop_page(form, patient, timer, now, 200 if request.method == "GET" else 422)
    try:
        saved = stop_timer(
            db.Session,
            patient,
            current_staff(),
            now,
            activity=form.activity.data or None,
            note=form.note.data,
            minutes=form.minutes.data,
            remote_addr=request.remote_addr,
        )
    except TimerError as exc:
        show_error(form, exc.field, exc.message)
        return _stop_page(form, patient, timer, now, 422)
    if saved.created and saved.time_entry is not None:
        flash(f"Timer stopped: {saved.time_entry.minutes} minutes logged.")
    else:
        flash("These minutes were already logged.")
    return _back(patient_id)


@bp.route("/patients/<int:patient_id>/timer/discard", methods=["POST"])
@roles_required(*TIME_ROLES)
def discard(patient_id: int):
    patient = patient_or_404(patient_id, *TIME_ROLES, action=None)
    if discard_timer(db.Session, patient, current_staff(), utcnow(), request.remote_addr):
        flash("Timer discarded: no time was logged.")
    else:
        flash("No timer is running for this patient.")
    return _back(patient_id)


@bp.route("/patients/<int:patient_id>/time/<int:entry_id>/correct", methods=["GET", "POST"])
@roles_required(*CORRECT_ROLES)
def correct(patient_id: int, entry_id: int):
    patient = patient_or_404(
        patient_id, *CORRECT_ROLES, action="chart_view" if request.method == "GET" else None
    )
    entry = db.Session.scalar(
        select(TimeEntry).where(TimeEntry.id == entry_id, TimeEntry.patient_id == patient.id)
    )
    if entry is None:
        abort(404)
    me = current_staff()
    if not may_correct(db.Session, entry, me, patient.clinic_id):
        abort(403)
    if entry.superseded_by_id is not None:
        flash("This entry was already corrected; correct the current one instead.")
        return _back(patient_id)
    form = CorrectForm(obj=None if request.method == "POST" else entry)
    if request.method == "GET":
        form.reason.data = ""
        return _correct_page(form, patient, entry)
    if not form.validate_on_submit():
        return _correct_page(form, patient, entry, 422)
    change = Correction(
        minutes=form.minutes.data,
        activity=form.activity.data,
        performed_on=form.performed_on.data,
        note=form.note.data,
        reason=form.reason.data,
    )
    try:
        replacement = correct_entry(
            db.Session, entry.id, patient, me, change, utcnow(), request.remote_addr
        )
    except NotAllowed:
        abort(403)
    except TimerError as exc:
        for field, message in getattr(exc, "problems", [(exc.field, exc.message)]):
            show_error(form, field, message)
        return _correct_page(form, patient, entry, 409 if exc.field is None else 422)
    flash(
        "Entry withdrawn; the original stays in the log, struck through."
        if replacement.minutes == 0
        else "Entry corrected; the original stays in the log, struck through."
    )
    return _back(patient_id)


def _correct_page(form, patient, entry, status=200):
    return render_template(
        "timer/correct.html",
        form=form,
        patient=patient,
        entry=entry,
        cancel_url=chart_url(patient.id) + "#time-log-h",
    ), status
