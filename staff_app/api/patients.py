"""Patients: search by MRN or name, create, read, update."""

from __future__ import annotations

from flask import url_for

from cocm import db
from cocm.api import patients as service
from cocm.api import people, present
from cocm.api.pagination import decode_cursor, next_cursor
from cocm.api.schemas.patients import (
    Patient,
    PatientCreate,
    PatientPage,
    PatientQuery,
    PatientSearch,
    PatientUpdate,
)
from staff_app.api.context import ApiContext
from staff_app.api.roles import CARE, READ
from staff_app.api.routing import Created, operation

TAG = "patients"


def _search(ctx: ApiContext, query: PatientQuery | PatientSearch) -> PatientPage:
    clinic_ids = people.clinic_filter(db.Session, query.clinic, ctx.clinic_ids(*READ))
    rows = service.search(
        db.Session,
        clinic_ids,
        mrn=query.mrn or None,
        name=query.name or None,
        after_id=decode_cursor(query.cursor),
        limit=query.limit,
    )
    page = rows[: query.limit]
    ctx.audit(
        "api_patient_search",
        rows=len(page),
        patient_ids=[p.id for p in page],
        by_mrn=bool(query.mrn),
        by_name=bool(query.name),
    )
    return PatientPage(
        items=[present.patient(db.Session, p) for p in page],
        next_cursor=next_cursor(rows, query.limit, lambda p: p.id),
    )


@operation(
    "GET",
    "/patients",
    summary="List patients, or search by MRN or name",
    tag=TAG,
    roles=READ,
    query=PatientQuery,
    response=PatientPage,
    description="Patients of your clinics, by id. To keep an MRN or a name out of URLs and "
    "access logs, prefer `POST /patients/search`, which takes the same filters in its body.",
)
def list_patients(ctx: ApiContext, query: PatientQuery) -> PatientPage:
    return _search(ctx, query)


@operation(
    "POST",
    "/patients/search",
    summary="Search patients by MRN or name (filters in the body)",
    tag=TAG,
    roles=READ,
    body=PatientSearch,
    response=PatientPage,
    description="The same search and pages as `GET /patients`; nothing identifying goes in "
    "the URL.",
)
def search_patients(ctx: ApiContext, body: PatientSearch) -> PatientPage:
    return _search(ctx, body)


@operation(
    "POST",
    "/patients",
    summary="Create a patient",
    tag=TAG,
    roles=CARE,
    body=PatientCreate,
    response=Patient,
    status=201,
    errors=(409,),
    idempotent=True,
    location=True,
    description="Records who the patient is and, if they agreed, their consent to texts. "
    "Care starts with an episode.",
)
def create_patient(ctx: ApiContext, body: PatientCreate) -> Created:
    clinic = people.clinic_for(db.Session, body.clinic, ctx.clinic_ids(*CARE))
    patient = service.create(db.Session, clinic, body, ctx.staff, ctx.now)
    ctx.audit(
        "api_patient_create",
        patient=patient,
        object_type="patient",
        object_id=patient.id,
        sms_consent=body.sms_consent,
    )
    return Created(
        present.patient(db.Session, patient),
        url_for("api.get_patient", patient_id=patient.id),
    )


@operation(
    "GET",
    "/patients/{patient_id}",
    summary="Read a patient",
    tag=TAG,
    roles=READ,
    response=Patient,
)
def get_patient(ctx: ApiContext, patient_id: int) -> Patient:
    patient = ctx.patient(patient_id, *READ, action="api_chart_view")
    return present.patient(db.Session, patient)


@operation(
    "PATCH",
    "/patients/{patient_id}",
    summary="Update a patient",
    tag=TAG,
    roles=CARE,
    body=PatientUpdate,
    response=Patient,
    errors=(409,),
    description="Only the fields sent change.",
)
def update_patient(ctx: ApiContext, patient_id: int, body: PatientUpdate) -> Patient:
    patient = ctx.patient(patient_id, *CARE)
    changed = service.update(db.Session, patient, body, ctx.staff, ctx.now)
    ctx.audit(
        "api_patient_update",
        patient=patient,
        object_type="patient",
        object_id=patient.id,
        fields=changed,
    )
    return present.patient(db.Session, patient)
