"""/api/v1/openapi.json: a valid OpenAPI 3.1 document that names every route, built from the
same pydantic models that validate the requests."""

from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate

from staff_app.api import OPERATIONS


@pytest.fixture
def description(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "Set-Cookie" not in response.headers
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # viewers on other origins
    return response.get_json()


def test_it_is_valid_openapi_3_1(description):
    validate(description)  # raises on any violation of the OpenAPI 3.1 schema
    assert description["openapi"] == "3.1.0"
    assert description["servers"] == [{"url": "/api/v1"}]
    assert description["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_it_names_every_route_of_the_blueprint(staff_app, description):
    routes = set()
    for rule in staff_app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = rule.rule.removeprefix("/api/v1")
            for converter in ("int:", ""):
                path = path.replace("<" + converter, "{")
            path = path.replace(">", "}")
            routes |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {
        (method.upper(), path) for path, item in description["paths"].items() for method in item
    }
    assert routes == documented
    assert len(documented) == len(OPERATIONS)


def test_every_guarded_operation_documents_its_refusals(description):
    for path, item in description["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            if operation.get("security") == []:
                assert path == "/openapi.json"
                continue
            for status in ("401", "403"):
                problem = responses[status]["content"]["application/problem+json"]
                assert problem["schema"] == {"$ref": "#/components/schemas/Problem"}
            if "{" in path:
                assert "404" in responses, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "422"} <= set(responses), (method, path)


def test_request_schemas_come_from_the_models(description):
    from cocm.api.schemas.patients import PatientCreate

    schema = description["components"]["schemas"]["PatientCreate"]
    expected = PatientCreate.model_json_schema(ref_template="#/components/schemas/{model}")
    assert schema["properties"] == expected["properties"]
    assert schema["additionalProperties"] is False
    create = description["paths"]["/patients"]["post"]
    assert {"name": "Idempotency-Key", "in": "header"}.items() <= create["parameters"][0].items()


def test_the_server_url_follows_where_the_app_is_mounted(client):
    response = client.get("/api/v1/openapi.json", environ_overrides={"SCRIPT_NAME": "/staff"})
    assert json.loads(response.data)["servers"] == [{"url": "/staff/api/v1"}]
