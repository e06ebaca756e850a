"""/api/v1: the JSON API of the staff app (DESIGN 8), described by /api/v1/openapi.json.

Bearer tokens only: no session cookie is read or set, and CSRF does not apply. Every answer,
refusals included, is JSON; errors are ``application/problem+json``.
"""

from __future__ import annotations

import importlib
import logging

from flask import request
from sqlalchemy.exc import SQLAlchemyError

from cocm import db
from cocm.api import audit as api_audit
from staff_app import csrf
from staff_app.api import sessions
from staff_app.api.problems import problem
from staff_app.api.routing import OPERATIONS, PREFIX, bp

# The handler modules register their routes when imported, in the description's order.
HANDLERS = (
    "meta",
    "patients",
    "episodes",
    "checkins",
    "assessments",
    "time_entries",
    "registry",
    "queue",
    "billing",
)
for _name in HANDLERS:
    importlib.import_module(f"staff_app.api.{_name}")

__all__ = ["OPERATIONS", "PREFIX", "bp"]
log = logging.getLogger(__name__)
csrf.exempt(bp)


def _is_api() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


@bp.record_once
def _on_register(state) -> None:
    sessions.install(state.app, PREFIX)
    api_audit.install()


@bp.app_errorhandler(404)
def _not_found(exc):
    if not _is_api():
        return exc
    return problem(404, "There is no such path in the API; see /api/v1/openapi.json.")


@bp.app_errorhandler(405)
def _wrong_method(exc):
    if not _is_api():
        return exc
    allowed = ", ".join(exc.valid_methods or ())
    return problem(405, f"This path takes {allowed}.", headers={"Allow": allowed})


@bp.app_errorhandler(413)
def _too_large(exc):
    if not _is_api():
        return exc
    return problem(413, "The body is larger than 2 MB.")


@bp.errorhandler(SQLAlchemyError)
def _database_error(exc: SQLAlchemyError):
    db.Session.rollback()
    log.error("database error on %s: %s", request.path, type(exc).__name__)
    return problem(
        503,
        "The service is briefly unavailable; try again in a minute.",
        headers={"Retry-After": "30"},
    )


@bp.teardown_request
def _forget_token(_exc) -> None:
    api_audit.acting_token(db.Session(), None)
