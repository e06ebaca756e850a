"""Clinic setup for admins: the checklist, staff and roles, and the clinic's settings."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from cocm import db
from cocm.clinics.checklist import ready, setup_checklist
from cocm.clinics.errors import ClinicError
from cocm.clinics.settings import ClinicSettings, update_settings
from cocm.clinics.staff import NewStaff, add_staff, set_active, update_staff
from cocm.enrollment.fields import US_ZONES
from cocm.enrollment.wording import DEFAULT_ENROLLMENT_SCRIPT
from cocm.models import Clinic, Membership, Staff
from staff_app.access import audit, clinic_ids, current_staff, roles_required
from staff_app.forms.admin import (
    CHAIN_LENGTH,
    ActiveForm,
    EditStaffForm,
    NewStaffForm,
    SettingsForm,
)
from staff_app.forms.common import options, show_error

bp = Blueprint("admin", __name__)


def _clinic_or_404(clinic_id: int) -> Clinic:
    if clinic_id not in clinic_ids("admin"):
        abort(404)
    return db.Session.get(Clinic, clinic_id)


def _staff_or_404(clinic: Clinic, staff_id: int) -> Staff:
    staff = db.Session.get(Staff, staff_id)
    if staff is None or not any(m.clinic_id == clinic.id for m in staff.memberships):
        abort(404)
    return staff


def _team(clinic: Clinic) -> list[tuple[Staff, list[str]]]:
    rows = db.Session.execute(
        select(Staff, Membership.role)
        .join(Membership, Membership.staff_id == Staff.id)
        .where(Membership.clinic_id == clinic.id)
        .order_by(Staff.is_active.desc(), Staff.full_name, Membership.role)
    ).all()
    team: dict[int, tuple[Staff, list[str]]] = {}
    for staff, role in rows:
        team.setdefault(staff.id, (staff, []))[1].append(role)
    return list(team.values())


@bp.route("/admin")
@roles_required("admin")
def index():
    clinics = db.Session.scalars(
        select(Clinic).where(Clinic.id.in_(clinic_ids("admin"))).order_by(Clinic.name)
    ).all()
    overview = []
    for clinic in clinics:
        checks = setup_checklist(db.Session, clinic)
        overview.append((clinic, checks, ready(checks), _team(clinic)))
    return render_template("admin/index.html", overview=overview, form=ActiveForm())


def _settings_choices(form: SettingsForm, clinic: Clinic) -> None:
    people = [(s.id, s.full_name) for s, _ in _team(clinic) if s.is_active]
    form.on_call_id.choices = options([("", "Choose…")] + people)
    for entry in form.chain_ids:
        entry.choices = options([("", "—")] + people)
    zones = list(dict.fromkeys((clinic.timezone, *US_ZONES)))
    form.timezone.choices = options((z, z.replace("_", " ")) for z in zones)


def _fill(form: SettingsForm, clinic: Clinic) -> None:
    for name in (
        "name",
        "phone_display",
        "sms_number",
        "messaging_service_sid",
        "timezone",
        "text_window_start",
        "text_window_end",
        "hours_start",
        "hours_end",
        "escalation_minutes",
        "default_cadence_days",
        "response_cadence_days",
        "review_weekday",
        "review_time",
        "idle_timeout_minutes",
        "disengage_after_attempts",
        "use_first_names",
        "portal_links_enabled",
    ):
        form[name].data = getattr(clinic, name)
    form.enrollment_script.data = clinic.enrollment_script or DEFAULT_ENROLLMENT_SCRIPT
    form.open_weekdays.data = [int(d) for d in clinic.open_weekdays.split(",") if d]
    steps = clinic.escalation_steps
    form.on_call_id.data = steps[0].staff_id if steps and steps[0].position == 0 else None
    chain = [s.staff_id for s in steps if s.position > 0]
    for entry, staff_id in zip(form.chain_ids, chain + [None] * CHAIN_LENGTH, strict=False):
        entry.data = staff_id


def _settings_data(form: SettingsForm) -> ClinicSettings:
    script = (form.enrollment_script.data or "").strip()
    return ClinicSettings(
        name=form.name.data,
        phone_display=form.phone_display.data,
        sms_number=form.sms_number.data,
        messaging_service_sid=form.messaging_service_sid.data,
        timezone=form.timezone.data,
        text_window_start=form.text_window_start.data,
        text_window_end=form.text_window_end.data,
        hours_start=form.hours_start.data,
        hours_end=form.hours_end.data,
        open_weekdays=form.open_weekdays.data or [],
        escalation_minutes=form.escalation_minutes.data,
        default_cadence_days=form.default_cadence_days.data,
        response_cadence_days=form.response_cadence_days.data,
        review_weekday=form.review_weekday.data,
        review_time=form.review_time.data,
        # The default script shown in the box is not a clinic's own script.
        enrollment_script=None if script == DEFAULT_ENROLLMENT_SCRIPT else script,
        idle_timeout_minutes=form.idle_timeout_minutes.data,
        disengage_after_attempts=form.disengage_after_attempts.data,
        use_first_names=form.use_first_names.data,
        portal_links_enabled=form.portal_links_enabled.data,
        on_call_id=form.on_call_id.data,
        chain_ids=[entry.data for entry in form.chain_ids if entry.data],
    )


@bp.route("/admin/clinics/<int:clinic_id>/settings", methods=["GET", "POST"])
@roles_required("admin")
def settings(clinic_id: int):
    clinic = _clinic_or_404(clinic_id)
    form = SettingsForm()
    _settings_choices(form, clinic)
    if request.method == "GET":
        _fill(form, clinic)
    elif form.validate_on_submit():
        try:
            changes = update_settings(db.Session, clinic, _settings_data(form))
        except ClinicError as exc:
            show_error(form, exc.field, exc.message)
        else:
            if changes:
                audit("clinic_settings_changed", clinic_id=clinic.id, changes=changes)
                flash("Settings saved.")
            else:
                flash("Nothing changed.")
            return redirect(url_for("admin.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/settings.html", form=form, clinic=clinic), status


@bp.route("/admin/clinics/<int:clinic_id>/staff/new", methods=["GET", "POST"])
@roles_required("admin")
def new_staff(clinic_id: int):
    clinic = _clinic_or_404(clinic_id)
    form = NewStaffForm()
    if form.validate_on_submit():
        data = NewStaff(
            email=form.email.data,
            full_name=form.full_name.data,
            password=form.password.data,
            roles=form.roles.data,
            phone=form.phone.data,
        )
        try:
            staff, created = add_staff(db.Session, clinic, data)
        except ClinicError as exc:
            show_error(form, exc.field, exc.message)
        else:
            audit(
                "staff_added" if created else "staff_roles_added",
                clinic_id=clinic.id,
                object_type="staff",
                object_id=staff.id,
                roles=sorted(data.roles),
            )
            flash(
                f"{staff.full_name} can now sign in."
                if created
                else f"{staff.full_name} already had an account; the roles here were added."
            )
            return redirect(url_for("admin.index"))
    status = 422 if request.method == "POST" else 200
    return render_template("admin/new_staff.html", form=form, clinic=clinic), status


@bp.route("/admin/clinics/<int:clinic_id>/staff/<int:staff_id>", methods=["GET", "POST"])
@roles_required("admin")
def edit_staff(clinic_id: int, staff_id: int):
    clinic = _clinic_or_404(clinic_id)
    staff = _staff_or_404(clinic, staff_id)
    form = EditStaffForm()
    if request.method == "GET":
        form.full_name.data = staff.full_name
        form.phone.data = staff.phone
        form.roles.data = [m.role for m in staff.memberships if m.clinic_id == clinic.id]
    elif form.validate_on_submit():
        try:
            changes = update_staff(
                db.Session,
                staff,
                clinic,
                roles=form.roles.data,
                phone=form.phone.data,
                full_name=form.full_name.data,
                acting=current_staff(),
            )
        except ClinicError as exc:
            show_error(form, exc.field, exc.message)
        else:
            if changes:
                audit(
                    "staff_changed",
                    clinic_id=clinic.id,
                    object_type="staff",
                    object_id=staff.id,
                    changes=changes,
                )
            flash("Saved." if changes else "Nothing changed.")
            return redirect(url_for("admin.index"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "admin/edit_staff.html", form=form, clinic=clinic, staff=staff, active_form=ActiveForm()
    ), status


@bp.route(
    "/admin/clinics/<int:clinic_id>/staff/<int:staff_id>/<any(deactivate, reactivate):action>",
    methods=["POST"],
)
@roles_required("admin")
def set_active_view(clinic_id: int, staff_id: int, action: str):
    clinic = _clinic_or_404(clinic_id)
    staff = _staff_or_404(clinic, staff_id)
    if not ActiveForm().validate_on_submit():
        abort(400)
    try:
        changed = set_active(
            db.Session,
            staff,
            action == "reactivate",
            admin_clinic_ids=clinic_ids("admin"),
            acting=current_staff(),
        )
    except ClinicError as exc:
        flash(exc.message)
        return redirect(url_for("admin.edit_staff", clinic_id=clinic.id, staff_id=staff.id))
    if changed:
        audit(f"staff_{action}d", clinic_id=clinic.id, object_type="staff", object_id=staff.id)
        flash(f"{staff.full_name} was {action}d.")
    return redirect(url_for("admin.index"))
