"""The description of the API, and who the token acts as."""

from __future__ import annotations

import json

from flask import Response, request

from cocm import db
from cocm.api import present
from cocm.api.openapi import document
from cocm.api.schemas.me import Me
from staff_app.api.context import ApiContext
from staff_app.api.roles import ANYONE
from staff_app.api.routing import OPERATIONS, PREFIX, operation


@operation(
    "GET",
    "/openapi.json",
    summary="This description (OpenAPI 3.1)",
    tag="meta",
    roles=None,
    description="Public: it describes the API and holds no data.",
)
def openapi_json() -> Response:
    body = json.dumps(document(OPERATIONS, request.script_root + PREFIX))
    response = Response(body, mimetype="application/json")
    # Public and credential-free, so a viewer on another origin may fetch it.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@operation("GET", "/me", summary="Who the token acts as", tag="meta", roles=ANYONE, response=Me)
def me(ctx: ApiContext) -> Me:
    ctx.audit("api_me")
    return present.me(db.Session, ctx.staff, ctx.token)
