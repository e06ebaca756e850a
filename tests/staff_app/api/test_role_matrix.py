"""Every operation of /api/v1 for every role: on the caller's own clinic's objects it answers
(or refuses with 403 for the roles the staff app refuses); on another clinic's objects it
answers 404, exactly as if they did not exist; and no answer carries another clinic's patient.

The table must name every operation, so a new route cannot slip past this walk.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from cocm.models import Assessment, AssessmentAnswer, Membership, Patient, Staff
from cocm.response_queue import open_item
from staff_app.api import OPERATIONS
from tests.factories import PatientFactory
from tests.staff_app.api.helpers import ROLE_ATTRS, T0, Api, build_clinic, token_for

ALL = set(ROLE_ATTRS)
CLINICAL = ALL - {"admin"}
CARE = {"care_manager"}


@dataclass(frozen=True)
class Objects:
    """One clinic's objects, by the names the paths use."""

    slug: str
    mrn: str
    patient_id: int
    new_patient_id: int
    episode_id: int
    assessment_id: int
    items: dict  # role -> an urgent queue item of its own, so every role may claim one

    def values(self, role: str) -> dict:
        return {**self.__dict__, "item_id": self.items[role]}


def _objects(sql) -> Objects:
    built = build_clinic()
    newcomer = PatientFactory(clinic=built.clinic)
    assessment = Assessment(
        patient_id=built.patient_id,
        episode_id=built.episode_id,
        instrument="GAD-7",
        channel="sms",
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
    items = {
        role: open_item(
            sql(),
            clinic_id=built.clinic_id,
            patient_id=built.patient_id,
            kind="risk_answer",
            reason="PHQ-9 item 9",
            now=T0,
            priority="urgent",
        ).id
        for role in ROLE_ATTRS
    }
    return Objects(
        slug=built.slug,
        mrn=built.patient.mrn,
        patient_id=built.patient_id,
        new_patient_id=newcomer.id,
        episode_id=built.episode_id,
        assessment_id=assessment.id,
        items=items,
    )


NEW_PATIENT = {"mrn": "MATRIX-1", "first_name": "Ana", "last_name": "Lee",
               "date_of_birth": "1980-02-01"}  # fmt: skip
EPISODE = {"initiating_visit_on": "2026-02-20", "consent_on": "2026-03-03",
           "consent_method": "written"}  # fmt: skip
# operation id -> (method, path with {names} of Objects, body, query, roles that succeed)
CASES = {
    "openapi_json": ("GET", "/openapi.json", None, None, ALL),
    "me": ("GET", "/me", None, None, ALL),
    "list_patients": ("GET", "/patients", None, None, CLINICAL),
    "search_patients": ("POST", "/patients/search", {"name": "Patient"}, None, CLINICAL),
    "create_patient": ("POST", "/patients", NEW_PATIENT, None, CARE),
    "get_patient": ("GET", "/patients/{patient_id}", None, None, CLINICAL),
    "update_patient": ("PATCH", "/patients/{patient_id}", {"last_name": "Lee"}, None, CARE),
    "create_episode": ("POST", "/patients/{new_patient_id}/episodes", EPISODE, None, CARE),
    "list_episodes": ("GET", "/patients/{patient_id}/episodes", None, None, CLINICAL),
    "get_episode": ("GET", "/episodes/{episode_id}", None, None, CLINICAL),
    "update_episode": ("PATCH", "/episodes/{episode_id}", {"status": "active"}, None, CARE),
    "close_episode": (
        "POST",
        "/episodes/{episode_id}/close",
        {"outcome": "completed", "note": "Goals met"},
        None,
        CARE,
    ),
    "start_checkin_now": (
        "POST",
        "/patients/{patient_id}/checkins",
        {"instrument": "PHQ-9"},
        None,
        CARE,
    ),
    "list_assessments": ("GET", "/patients/{patient_id}/assessments", None, None, CLINICAL),
    "create_assessment": (
        "POST",
        "/patients/{patient_id}/assessments",
        {"instrument": "PHQ-2", "answers": [1, 2]},
        None,
        {"care_manager", "treating_clinician"},
    ),
    "get_assessment": ("GET", "/assessments/{assessment_id}", None, None, CLINICAL),
    "get_assessment_fhir": ("GET", "/assessments/{assessment_id}/fhir", None, None, CLINICAL),
    "list_time_entries": (
        "GET",
        "/patients/{patient_id}/time-entries",
        None,
        {"month": "2026-03"},
        CLINICAL,
    ),
    "create_time_entry": (
        "POST",
        "/patients/{patient_id}/time-entries",
        {"performed_on": "2026-03-03", "minutes": 15, "activity": "care_planning"},
        None,
        {"care_manager", "treating_clinician", "psychiatric_consultant"},
    ),
    "registry": ("GET", "/registry", None, None, CLINICAL),
    "list_queue": ("GET", "/queue", None, None, CLINICAL),
    # The treating clinician and the lead are on the escalation chain of the urgent item.
    "claim_queue_item": (
        "POST",
        "/queue/{item_id}/claim",
        None,
        None,
        {"care_manager", "treating_clinician", "clinic_lead"},
    ),
    "close_queue_item": (
        "POST",
        "/queue/{item_id}/close",
        {"note": "Reached; safety plan reviewed", "outcome": "safety_plan_reviewed"},
        None,
        {"care_manager", "treating_clinician", "clinic_lead"},
    ),
    "billing": ("GET", "/billing/2026-03", None, None, {"clinic_lead", "admin"}),
}


def test_the_table_names_every_operation():
    assert set(CASES) == {op.operation_id for op in OPERATIONS}


@pytest.fixture
def world(session, frozen, sql):
    home, away = _objects(sql), _objects(sql)
    sql.commit()
    return home, away


def _call(client, token, case, objects: Objects, role: str):
    method, path, body, query, _roles = case
    return Api(client, token).open(
        method, path.format(**objects.values(role)), body, query_string=query
    )


def _staff_of(sql, objects: Objects, role: str) -> Staff:
    clinic_id = sql.get(Patient, objects.patient_id).clinic_id
    return sql.scalar(
        select(Staff)
        .join(Membership, Membership.staff_id == Staff.id)
        .where(Membership.clinic_id == clinic_id, Membership.role == role)
    )


@pytest.mark.parametrize("operation_id", sorted(CASES))
def test_each_operation_for_each_role(client, world, sql, operation_id):
    home, away = world
    case = CASES[operation_id]
    op = next(op for op in OPERATIONS if op.operation_id == operation_id)
    tokens = {role: token_for(_staff_of(sql, home, role)) for role in ROLE_ATTRS}
    sql.commit()
    # Refused roles first: they change nothing, so each allowed role finds the record as built.
    for role in sorted(ROLE_ATTRS, key=lambda r: r in case[4]):
        if "{" in case[1]:
            theirs = _call(client, tokens[role], case, away, role)
            expected = 404 if op.roles is None or role in op.roles else 403
            assert theirs.status_code == expected, (role, operation_id, theirs.text)
            assert theirs.mimetype == "application/problem+json"

        ours = _call(client, tokens[role], case, home, role)
        if role in case[4]:
            assert 200 <= ours.status_code < 300, (role, operation_id, ours.text)
        else:
            assert ours.status_code == 403, (role, operation_id, ours.text)
            assert ours.mimetype == "application/problem+json"
        assert away.mrn not in ours.get_data(as_text=True)
