"""The OpenAPI 3.1 description of /api/v1, built from the route table and the pydantic models.

Nothing here is written by hand per endpoint: each ``Operation`` names its request and response
models, and the JSON Schemas come from ``pydantic.json_schema.models_json_schema``, so the
description cannot drift from what the handlers validate and return.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from cocm.api.idempotency import KEY_MAX
from cocm.api.schemas.common import MAX_ID, Problem

REF = "#/components/schemas/{model}"
PROBLEM_MEDIA = "application/problem+json"
ERROR_TEXT = {
    400: "The body is not JSON.",
    401: "No valid bearer token.",
    403: "Your roles do not allow this.",
    404: "Nothing you may see has this id (another clinic's object looks the same).",
    405: "This path does not take this method.",
    409: "The current state of the record does not allow it.",
    413: "The body is larger than 2 MB.",
    422: "A field, parameter or header is invalid; `errors` names each.",
}
PATH_PARAMS = {
    "month": {"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$", "examples": ["2026-03"]},
}
ID_PARAM = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
DESCRIPTION = """\
The JSON API of the collaborative care service: patients, episodes, text check-ins,
assessments (with FHIR output), time entries, the registry, the response queue and the billing
month.

**Authentication.** Send `Authorization: Bearer <token>`. Tokens come from
`cocm create-api-token --user EMAIL --name NAME` (shown once); admins revoke them in the staff
app at `/admin/api-tokens`. A token acts as its user, with their roles and clinics; every use is
in the audit log. Another clinic's object answers 404, like one that does not exist.

**Errors** are `application/problem+json`: `status`, `title`, `detail`, and `errors`, a list of
`{field, message}` naming each invalid field, parameter or header.

**Lists** are pages `{items, next_cursor}`: pass `next_cursor` back as `cursor` (with the same
filters) until it is null. `limit` is 1-200 (default 50).

**Retries.** A create may carry an `Idempotency-Key` header (any unique string, e.g. a UUID): the
same key with the same body answers the first result again without a second record; the same
key with a different body is refused (422).
"""


@dataclass(frozen=True)
class Operation:
    """One route of the API: what it takes, what it answers, and who may call it."""

    method: str
    path: str
    operation_id: str
    summary: str
    tag: str
    roles: tuple[str, ...] | None  # None: public (no token)
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    media_type: str = "application/json"
    errors: tuple[int, ...] = ()
    idempotent: bool = False
    location: bool = False
    description: str = ""
    path_params: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "path_params", tuple(re.findall(r"{(\w+)}", self.path)))

    def error_statuses(self) -> list[int]:
        statuses = set(self.errors)
        if self.roles is not None:
            statuses |= {401, 403}
        if self.path_params:
            statuses |= {404}
        if self.body is not None:
            statuses |= {400, 413, 422}
        if self.query is not None or "month" in self.path_params:
            statuses.add(422)
        return sorted(statuses)


def _without_null(schema: dict) -> dict:
    """A query parameter's schema without the ``null`` branch pydantic gives Optional fields."""
    options = schema.get("anyOf")
    if options:
        kept = [option for option in options if option.get("type") != "null"]
        if len(kept) == 1:
            merged = {k: v for k, v in schema.items() if k != "anyOf"}
            merged.update(kept[0])
            if merged.get("default", "") is None:
                del merged["default"]  # leaving the parameter out is how to say "none"
            return merged
    return schema


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF)
    required = set(schema.get("required", ()))
    parameters = []
    for name, prop in schema["properties"].items():
        prop = _without_null(dict(prop))
        prop.pop("title", None)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in required}
        if "description" in prop:
            parameter["description"] = prop.pop("description")
        if prop.get("type") == "array":
            parameter.update(style="form", explode=True)
        parameter["schema"] = prop
        parameters.append(parameter)
    return parameters


def _path_parameters(op: Operation) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": PATH_PARAMS.get(name, ID_PARAM)}
        for name in op.path_params
    ]


def _problem(status: int) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "description": ERROR_TEXT[status],
        "content": {PROBLEM_MEDIA: {"schema": {"$ref": REF.format(model="Problem")}}},
    }
    if status == 401:
        answer["headers"] = {
            "WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}
        }
    return answer


def _operation(op: Operation, refs: dict) -> dict[str, Any]:
    out: dict[str, Any] = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "tags": [op.tag],
    }
    description = op.description
    if op.roles is not None:
        roles = ", ".join(role.replace("_", " ") for role in op.roles)
        description = (description + "\n\n" if description else "") + f"Roles: {roles}."
    else:
        out["security"] = []
    if description:
        out["description"] = description
    parameters = _path_parameters(op)
    if op.query is not None:
        parameters += query_parameters(op.query)
    if op.idempotent:
        parameters.append(
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "description": "Retry-safe key: the same key and body answer the same result.",
                "schema": {"type": "string", "minLength": 1, "maxLength": KEY_MAX},
            }
        )
    if parameters:
        out["parameters"] = parameters
    if op.body is not None:
        out["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(op.body, "validation")]}},
        }
    success: dict[str, Any] = {"description": op.summary}
    if op.response is not None:
        success["content"] = {op.media_type: {"schema": refs[(op.response, "serialization")]}}
    if op.location:
        success["headers"] = {
            "Location": {"schema": {"type": "string"}, "description": "Where to read it."}
        }
    responses = {str(op.status): success}
    for status in op.error_statuses():
        responses[str(status)] = _problem(status)
    out["responses"] = responses
    return out


def document(operations: Iterable[Operation], server_url: str) -> dict[str, Any]:
    """The OpenAPI 3.1 document for ``operations``, served at ``server_url``."""
    operations = list(operations)
    wanted: list[tuple[type[BaseModel], str]] = [(Problem, "serialization")]
    for op in operations:
        if op.body is not None:
            wanted.append((op.body, "validation"))
        if op.response is not None:
            wanted.append((op.response, "serialization"))
    wanted = list(dict.fromkeys(wanted))
    refs, definitions = models_json_schema(wanted, ref_template=REF)
    paths: dict[str, dict] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "CoCM API", "version": "1.0.0", "description": DESCRIPTION},
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "tags": [{"name": tag} for tag in dict.fromkeys(op.tag for op in operations)],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `cocm create-api-token`.",
                }
            },
        },
    }
