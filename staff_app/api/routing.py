"""The route table of /api/v1 and the one wrapper every route runs through.

``@operation(...)`` registers a handler on the blueprint *and* records its ``Operation`` (what
it takes, answers and who may call it), from which ``/api/v1/openapi.json`` is built. The
wrapper authenticates the bearer token, checks the roles, validates the query and the body with
the operation's pydantic models, applies an ``Idempotency-Key``, calls the handler and
serializes its answer; every refusal is a problem response. Handlers stay thin: load, check
access, call one service, present.
"""

from __future__ import annotations

import functools
import json
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass

from flask import Blueprint, Response, g, request
from pydantic import BaseModel, ValidationError

from cocm import db
from cocm.api import idempotency, tokens
from cocm.api.audit import acting_token
from cocm.api.errors import ApiError
from cocm.api.openapi import Operation
from cocm.api.schemas.common import MAX_ID
from cocm.audit import record
from cocm.checkins import NotTextable
from cocm.clock import utcnow
from cocm.models import Staff
from staff_app.api.context import ApiContext, bearer_token
from staff_app.api.problems import from_error, from_validation, problem

PREFIX = "/api/v1"
IDEMPOTENCY_HEADER = "Idempotency-Key"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
OPERATIONS: list[Operation] = []


@dataclass
class Created:
    """A handler's answer with a Location header (201 and 202 answers)."""

    body: BaseModel
    location: str


def operation(
    method: str,
    path: str,
    *,
    summary: str,
    tag: str,
    roles: tuple[str, ...] | None,
    **options,
) -> Callable:
    """Register the decorated handler for ``method path`` (OpenAPI path syntax)."""

    def decorator(handler: Callable) -> Callable:
        op = Operation(
            method=method,
            path=path,
            operation_id=handler.__name__,
            summary=summary,
            tag=tag,
            roles=roles,
            **options,
        )
        OPERATIONS.append(op)
        rule = re.sub(r"{(\w+)}", lambda m: f"<{'' if m[1] == 'month' else 'int:'}{m[1]}>", path)

        @functools.wraps(handler)
        def view(**path_values):
            return _serve(op, handler, path_values)

        bp.add_url_rule(rule, endpoint=op.operation_id, view_func=view, methods=[method])
        return handler

    return decorator


def _authenticate(now) -> ApiContext | Response:
    token = tokens.authenticate(db.Session, bearer_token(), now)
    if token is None:
        # A refused token is audited too (kept although the answer is an error).
        record(
            db.Session,
            "api_auth_failed",
            remote_addr=request.remote_addr,
            detail={"path": request.path, "sent_token": bearer_token() is not None},
        )
        g.commit_on_error = True
        return problem(
            401,
            "Send a valid API token: Authorization: Bearer <token>.",
            headers={"WWW-Authenticate": 'Bearer realm="cocm"'},
        )
    acting_token(db.Session(), token.id)
    return ApiContext(token=token, staff=db.Session.get(Staff, token.staff_id), now=now)


def _query_values(model: type[BaseModel]) -> dict:
    values: dict = {}
    for name, info in model.model_fields.items():
        if name not in request.args:
            continue
        many = typing.get_origin(info.annotation) is list
        values[name] = request.args.getlist(name) if many else request.args.get(name)
    return values


def _respond(op: Operation, result) -> Response:
    if isinstance(result, Response):
        return result
    location = None
    if isinstance(result, Created):
        result, location = result.body, result.location
    text = result.model_dump_json() if isinstance(result, BaseModel) else json.dumps(result)
    response = Response(text, status=op.status, mimetype=op.media_type)
    if location:
        response.headers["Location"] = location
    return response


def _replay(op: Operation, stored: idempotency.Stored) -> Response:
    response = Response(stored.body, status=stored.status_code, mimetype=op.media_type)
    if stored.location:
        response.headers["Location"] = stored.location
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _claim_key(op: Operation, ctx: ApiContext, raw: bytes):
    key = idempotency.check_key(request.headers[IDEMPOTENCY_HEADER])
    digest = idempotency.fingerprint(op.method, request.path, json.loads(raw))
    return idempotency.claim(db.Session, ctx.token.id, key, digest, ctx.now)


def _serve(op: Operation, handler: Callable, path_values: dict) -> Response:
    now = utcnow()
    ctx = None
    if op.roles is not None:
        ctx = _authenticate(now)
        if isinstance(ctx, Response):
            return ctx
        if not ctx.has_role(*op.roles):
            roles = ", ".join(role.replace("_", " ") for role in op.roles)
            return problem(403, f"This needs one of these roles in a clinic: {roles}.")
    for value in path_values.values():
        if isinstance(value, int) and not 1 <= value <= MAX_ID:
            return problem(404, "Nothing you may see has this id.")
    kwargs = dict(path_values)
    if op.query is not None:
        try:
            kwargs["query"] = op.query.model_validate(_query_values(op.query))
        except ValidationError as exc:
            return from_validation(exc, "query")
    raw = b""
    if op.body is not None:
        raw = request.get_data(cache=True)
        try:
            kwargs["body"] = op.body.model_validate_json(raw)
        except ValidationError as exc:
            return from_validation(exc, "body")
    key_row = None
    try:
        if op.idempotent and IDEMPOTENCY_HEADER in request.headers:
            key_row, stored = _claim_key(op, ctx, raw)
            if stored is not None:
                ctx.audit("api_idempotent_replay", operation=op.operation_id)
                return _replay(op, stored)
        result = handler(ctx, **kwargs) if ctx is not None else handler(**kwargs)
    except NotTextable as exc:
        return problem(409, str(exc), [("patient", str(exc))])
    except ApiError as exc:
        return from_error(exc)
    response = _respond(op, result)
    if key_row is not None:
        stored = idempotency.Stored(
            response.status_code, response.get_data(as_text=True), response.headers.get("Location")
        )
        idempotency.finish(db.Session, key_row, stored)
    if ctx is not None and not ctx.audited:
        ctx.audit("api_call", operation=op.operation_id)
    return response
