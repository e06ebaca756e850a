"""Flask glue shared by the patient app and the staff app (kept out of the domain package).

Each request gets one database session; the edge commits it once after the handler returns a
success, and a commit that fails turns into a 503 so that callers such as Twilio retry.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, g, render_template, request
from sqlalchemy.exc import SQLAlchemyError

from cocm import db
from cocm.config import Settings
from cocm.startup import configure_logging, connect_database

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def init_app(app: Flask, settings: Settings) -> None:
    """Settings, database, cookies, security headers and commit-at-the-edge for one app."""
    configure_logging(settings)
    if settings.proxy_count:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind N trusted proxies: the client's address (rate limits, audit) and scheme.
        n = settings.proxy_count
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    connect_database(settings, check=False)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        COCM_SETTINGS=settings,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.https,
        REMEMBER_COOKIE_SECURE=settings.https,
        REMEMBER_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,
    )

    @app.after_request
    def _commit_and_harden(response: Response) -> Response:
        response = _commit(response)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # same-origin, not no-referrer: Flask-WTF's CSRF check over https needs the Referer of
        # our own pages, and URLs never carry PHI, so nothing leaves for other sites.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if settings.https:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.teardown_request
    def _remove_session(exc: BaseException | None) -> None:
        if exc is not None:
            db.Session.rollback()
        db.Session.remove()

    @app.errorhandler(SQLAlchemyError)
    def _database_error(exc: SQLAlchemyError):
        db.Session.rollback()
        log.error("database error on %s: %s", request.path, type(exc).__name__)
        return _unavailable()


def _commit(response: Response) -> Response:
    if g.get("skip_commit"):
        return response
    # Some refusals must still be kept (a failed sign-in counts toward the lockout).
    if response.status_code >= 400 and not g.get("commit_on_error"):
        db.Session.rollback()
        return response
    try:
        db.Session.commit()
    except SQLAlchemyError as exc:
        db.Session.rollback()
        log.error("commit failed on %s: %s", request.path, type(exc).__name__)
        return _unavailable()
    return response


def _unavailable() -> Response:
    try:
        body = render_template("unavailable.html")
    except Exception:  # noqa: BLE001 - the error page must never itself fail
        body = "The service is briefly unavailable. Please try again in a minute."
    return Response(body, status=503, headers={"Retry-After": "30"})
