"""Assessments: a patient's list, one taken in clinic, one by id, and its FHIR Bundle."""

from __future__ import annotations

from flask import url_for

from cocm import db
from cocm.api import assessments as service
from cocm.api import present
from cocm.api.errors import NotFound
from cocm.api.pagination import decode_cursor, next_cursor
from cocm.api.schemas.assessments import (
    Assessment,
    AssessmentCreate,
    AssessmentPage,
    AssessmentQuery,
    FhirBundle,
)
from cocm.models import Assessment as AssessmentRow
from cocm.models import Patient
from staff_app.api.context import ApiContext
from staff_app.api.roles import IN_CLINIC, READ
from staff_app.api.routing import Created, operation

TAG = "assessments"


def _assessment(ctx: ApiContext, assessment_id: int) -> tuple[AssessmentRow, Patient]:
    row = db.Session.get(AssessmentRow, assessment_id)
    if row is None:
        raise NotFound("No assessment of yours has this id.")
    try:
        patient = ctx.patient(row.patient_id, *READ)
    except NotFound:
        raise NotFound("No assessment of yours has this id.") from None
    return row, patient


@operation(
    "GET",
    "/patients/{patient_id}/assessments",
    summary="List a patient's assessments",
    tag=TAG,
    roles=READ,
    query=AssessmentQuery,
    response=AssessmentPage,
    description="Oldest first; texted, portal, clinic and contact assessments alike.",
)
def list_assessments(ctx: ApiContext, patient_id: int, query: AssessmentQuery) -> AssessmentPage:
    patient = ctx.patient(patient_id, *READ, action="api_chart_view")
    rows = service.for_patient(
        db.Session,
        patient.id,
        instrument=query.instrument,
        after_id=decode_cursor(query.cursor),
        limit=query.limit,
    )
    return AssessmentPage(
        items=[present.assessment(db.Session, row) for row in rows[: query.limit]],
        next_cursor=next_cursor(rows, query.limit, lambda row: row.id),
    )


@operation(
    "POST",
    "/patients/{patient_id}/assessments",
    summary="Record an assessment taken in clinic",
    tag=TAG,
    roles=IN_CLINIC,
    body=AssessmentCreate,
    response=Assessment,
    status=201,
    idempotent=True,
    location=True,
    description="Scored as the staff app scores it. PHQ-9 item 9 above 0 opens an urgent "
    "queue item and notifies the first responder at once (`risk_queue_item_id`).",
)
def create_assessment(ctx: ApiContext, patient_id: int, body: AssessmentCreate) -> Created:
    patient = ctx.patient(patient_id, *IN_CLINIC)
    row = service.record_in_clinic(db.Session, patient, body, ctx.staff, ctx.now)
    ctx.audit(
        "api_assessment_record",
        patient=patient,
        object_type="assessment",
        object_id=row.id,
        instrument=row.instrument,
        risk=row.risk,
    )
    return Created(
        present.assessment(db.Session, row), url_for("api.get_assessment", assessment_id=row.id)
    )


@operation(
    "GET",
    "/assessments/{assessment_id}",
    summary="Read an assessment",
    tag=TAG,
    roles=READ,
    response=Assessment,
)
def get_assessment(ctx: ApiContext, assessment_id: int) -> Assessment:
    row, patient = _assessment(ctx, assessment_id)
    ctx.audit("api_assessment_view", patient=patient, object_type="assessment", object_id=row.id)
    return present.assessment(db.Session, row)


@operation(
    "GET",
    "/assessments/{assessment_id}/fhir",
    summary="An assessment as FHIR R4",
    tag=TAG,
    roles=READ,
    response=FhirBundle,
    media_type="application/fhir+json",
    errors=(409,),
    description="A collection Bundle of the QuestionnaireResponse (answers coded with LOINC) "
    "and the total-score Observation derived from it. 409 until the assessment is completed.",
)
def get_assessment_fhir(ctx: ApiContext, assessment_id: int) -> dict:
    row, patient = _assessment(ctx, assessment_id)
    bundle = service.fhir_bundle(row, patient.language, ctx.now)
    ctx.audit("api_assessment_fhir", patient=patient, object_type="assessment", object_id=row.id)
    return bundle
