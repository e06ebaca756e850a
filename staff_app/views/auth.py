"""Sign-in, sign-out and the idle time-out."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from cocm import db
from cocm.accounts import authenticate
from cocm.audit import record
from cocm.clock import utcnow
from cocm.models import Staff

bp = Blueprint("auth", __name__)
DEFAULT_IDLE_MINUTES = 15


class StaffUser:
    """Flask-Login's view of a staff member."""

    def __init__(self, staff: Staff):
        self.staff = staff
        self.id = staff.id

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.staff.id)

    def roles_in(self, clinic_id: int) -> set[str]:
        return {m.role for m in self.staff.memberships if m.clinic_id == clinic_id}

    @property
    def clinic_ids(self) -> set[int]:
        return {m.clinic_id for m in self.staff.memberships}

    @property
    def roles(self) -> set[str]:
        return {m.role for m in self.staff.memberships}

    def idle_minutes(self) -> int:
        limits = [m.clinic.idle_timeout_minutes for m in self.staff.memberships]
        return min(limits) if limits else DEFAULT_IDLE_MINUTES


class SignInForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


@bp.before_app_request
def _idle_timeout():
    if not current_user.is_authenticated:
        return None
    now = utcnow()
    last = session.get("last_seen")
    if (
        last
        and (now - datetime.fromisoformat(last)).total_seconds() > 60 * current_user.idle_minutes()
    ):
        logout_user()
        session.clear()
        flash("You were signed out after a period of inactivity.")
        return redirect(url_for("auth.sign_in", next=request.path))
    session["last_seen"] = now.isoformat()
    return None


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    form = SignInForm()
    error = None
    if form.validate_on_submit():
        staff, error = authenticate(db.Session, form.email.data, form.password.data)
        if staff is not None:
            session.clear()
            login_user(StaffUser(staff))
            session["last_seen"] = utcnow().isoformat()
            record(db.Session, "sign_in", staff_id=staff.id, remote_addr=request.remote_addr)
            target = request.args.get("next", "")
            # Only local paths, never another site.
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("home.index")
            return redirect(target)
        record(db.Session, "sign_in_failed", remote_addr=request.remote_addr)
        g.commit_on_error = True
    status = 401 if error else 200
    return render_template("sign_in.html", form=form, error=error), status


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    if current_user.is_authenticated:
        record(db.Session, "sign_out", staff_id=current_user.id, remote_addr=request.remote_addr)
    logout_user()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.sign_in"))
