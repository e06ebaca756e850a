"""Schemathesis against /api/v1/openapi.json: generated requests to every operation never get a
5xx, and every answer (status, media type, headers, body) matches the description.

A caller holding every role in the clinic passes the role checks, so the generated requests
reach the handlers; half of the generated ids are swapped for ids that exist, so reads, updates
and state changes run on real records too. Examples per operation are bounded to keep the run
well under a minute.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cocm.models import Assessment, AssessmentAnswer, Membership
from cocm.response_queue import open_item
from staff_app.api import OPERATIONS
from tests.staff_app.api.helpers import ROLE_ATTRS, T0, token_for

EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def known(home, sql) -> dict[str, int]:
    """Ids of real records of the home clinic, by path parameter name."""
    assessment = Assessment(
        patient_id=home.patient_id,
        episode_id=home.episode_id,
        instrument="GAD-7",
        channel="clinic",
        status="completed",
        total=7,
        severity="mild",
        started_at=T0,
        completed_at=T0,
    )
    assessment.answers = [
        AssessmentAnswer(item_number=n, value=1, answered_at=T0) for n in range(1, 8)
    ]
    sql.add(assessment)
    sql.flush()
    item = open_item(
        sql(),
        clinic_id=home.clinic_id,
        patient_id=home.patient_id,
        kind="needs_person",
        reason="Needs a person",
        now=T0,
    )
    sql.commit()
    return {
        "patient_id": home.patient_id,
        "episode_id": home.episode_id,
        "assessment_id": assessment.id,
        "item_id": item.id,
    }


@pytest.fixture
def everyone(home, sql) -> str:
    """A token of someone holding every role in the home clinic."""
    staff = home.manager
    for role in set(ROLE_ATTRS) - {"care_manager"}:
        sql.add(Membership(staff_id=staff.id, clinic_id=home.clinic_id, role=role))
    token = token_for(staff)
    sql.commit()
    return token


@pytest.fixture
def described(staff_app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", staff_app)


@pytest.mark.parametrize("operation_id", [op.operation_id for op in OPERATIONS])
def test_generated_requests_match_the_description(described, everyone, known, operation_id):
    operation = described.find_operation_by_id(operation_id)
    headers = {"Authorization": f"Bearer {everyone}"}
    statuses: list[int] = []

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def exercise(case):
        parameters = case.path_parameters or {}
        for name in parameters:
            if name in known and hash(repr(parameters)) % 2:
                parameters[name] = known[name]
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        statuses.append(response.status_code)

    exercise()
    assert statuses and max(statuses) < 500
