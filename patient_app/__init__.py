"""The public WSGI app: Twilio webhooks and the patient portal. The only internet-facing surface."""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from cocm.config import Settings, get_settings
from webcommon import init_app
from webcommon.blueprints import register_views

csrf = CSRFProtect()


def create_app(settings: Settings | None = None) -> Flask:
    """Build the patient app from validated settings."""
    settings = settings or get_settings()
    app = Flask(__name__)
    init_app(app, settings)
    # Its own cookie: in the demo both apps share a host, and a staff sign-in must not end a
    # patient's portal session (or the other way round).
    app.config["SESSION_COOKIE_NAME"] = "cocm_patient"
    # Pages send no Referer (Referrer-Policy: no-referrer), so Flask-WTF's HTTPS referrer check
    # would refuse every form; the per-session token is the protection.
    app.config["WTF_CSRF_SSL_STRICT"] = False
    csrf.init_app(app)

    register_views(app, "patient_app")
    from patient_app.views.twilio import bp as twilio_bp

    # Twilio's webhooks carry a signature instead of a CSRF token.
    csrf.exempt(twilio_bp)
    return app
