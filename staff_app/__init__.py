"""The staff WSGI app: web pages and the JSON API. It may sit behind the clinic's VPN."""

from __future__ import annotations

from flask import Flask
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import joinedload

from cocm import db
from cocm.config import Settings, get_settings
from cocm.models import Membership, Staff
from staff_app.access import navigation
from webcommon import init_app
from webcommon.blueprints import register_views

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Please sign in to continue."
login_manager.session_protection = "strong"


@login_manager.user_loader
def _load_staff(staff_id: str):
    from staff_app.views.auth import StaffUser

    if not staff_id.isdigit():
        return None
    # Every request reads the person's memberships (roles) and their clinics (idle timeout):
    # one statement instead of three.
    staff = db.Session.get(
        Staff,
        int(staff_id),
        options=[joinedload(Staff.memberships).joinedload(Membership.clinic)],
    )
    return StaffUser(staff) if staff is not None and staff.is_active else None


def create_app(settings: Settings | None = None) -> Flask:
    """Build the staff app from validated settings."""
    settings = settings or get_settings()
    app = Flask(__name__)
    init_app(app, settings)
    csrf.init_app(app)
    login_manager.init_app(app)

    app.context_processor(navigation)
    register_views(app, "staff_app")
    return app
