"""The public WSGI app: Twilio webhooks and the patient portal. The only internet-facing surface."""

from __future__ import annotations

from flask import Flask

from cocm.config import Settings, get_settings
from webcommon import init_app
from webcommon.blueprints import register_views


def create_app(settings: Settings | None = None) -> Flask:
    """Build the patient app from validated settings."""
    settings = settings or get_settings()
    app = Flask(__name__)
    init_app(app, settings)

    register_views(app, "patient_app")
    return app
