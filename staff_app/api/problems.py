"""Problem responses (RFC 9457, ``application/problem+json``) for every refusal of the API."""

from __future__ import annotations

from collections.abc import Iterable

from flask import Response
from pydantic import ValidationError

from cocm.api.errors import ApiError, Conflict, Invalid, NotFound
from cocm.api.schemas.common import FieldError, Problem

MEDIA = "application/problem+json"
TITLES = {
    400: "Malformed request",
    401: "Authentication required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict with the current state",
    413: "Request too large",
    422: "Invalid request",
    500: "Internal error",
    503: "Service unavailable",
}
STATUS_OF = {Invalid: 422, Conflict: 409, NotFound: 404}


class Forbidden(ApiError):
    """The caller's roles do not allow the action (403)."""

    title = TITLES[403]


def problem(
    status: int,
    detail: str,
    errors: Iterable[tuple[str, str]] = (),
    headers: dict[str, str] | None = None,
) -> Response:
    body = Problem(
        title=TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        errors=[FieldError(field=f, message=m) for f, m in errors],
    )
    response = Response(body.model_dump_json(), status=status, mimetype=MEDIA)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def from_error(exc: ApiError) -> Response:
    status = 403 if isinstance(exc, Forbidden) else STATUS_OF.get(type(exc), 422)
    return problem(status, exc.detail, exc.errors)


def _field(location: tuple, prefix: str | None) -> str:
    parts = [str(part) for part in location]
    return ".".join(parts) if parts else (prefix or "body")


def from_validation(exc: ValidationError, where: str) -> Response:
    """422 naming each invalid field (``where`` is "body" or "query"); 400 for broken JSON."""
    errors = exc.errors(include_url=False, include_input=False)
    if any(error["type"] == "json_invalid" for error in errors):
        return problem(400, "The request body is not valid JSON.", [("body", "Send JSON.")])
    if any(error["type"] == "model_type" and not error["loc"] for error in errors):
        return problem(422, "The body must be a JSON object.", [("body", "Send a JSON object.")])
    pairs = [(_field(error["loc"], where), error["msg"]) for error in errors]
    noun = "parameter" if where == "query" else "field"
    detail = f"Check the {noun}{'s' if len(pairs) > 1 else ''}: " + ", ".join(
        dict.fromkeys(f for f, _ in pairs)
    )
    return problem(422, detail, pairs)
