"""Time entries for a patient: list a month's, log new minutes."""

from __future__ import annotations

from flask import request

from cocm import db
from cocm.api import present
from cocm.api import time_entries as service
from cocm.api.pagination import decode_cursor, next_cursor
from cocm.api.schemas.time_entries import (
    TimeEntry,
    TimeEntryCreate,
    TimeEntryPage,
    TimeEntryQuery,
)
from staff_app.api.context import ApiContext
from staff_app.api.roles import READ, TIME
from staff_app.api.routing import operation

TAG = "time entries"


@operation(
    "GET",
    "/patients/{patient_id}/time-entries",
    summary="List a patient's time entries in a month",
    tag=TAG,
    roles=READ,
    query=TimeEntryQuery,
    response=TimeEntryPage,
)
def list_time_entries(ctx: ApiContext, patient_id: int, query: TimeEntryQuery) -> TimeEntryPage:
    patient = ctx.patient(patient_id, *READ, action="api_chart_view")
    year, month = service.parse_month(query.month)
    rows = service.for_month(
        db.Session,
        patient.id,
        year,
        month,
        after_id=decode_cursor(query.cursor),
        limit=query.limit,
    )
    return TimeEntryPage(
        items=[present.time_entry(row) for row in rows[: query.limit]],
        next_cursor=next_cursor(rows, query.limit, lambda row: row.id),
    )


@operation(
    "POST",
    "/patients/{patient_id}/time-entries",
    summary="Log minutes for a patient",
    tag=TAG,
    roles=TIME,
    body=TimeEntryCreate,
    response=TimeEntry,
    status=201,
    idempotent=True,
    description="Minutes count under your role in the patient's clinic (care manager work "
    "first); psychiatric consultant minutes are kept but never billed.",
)
def create_time_entry(ctx: ApiContext, patient_id: int, body: TimeEntryCreate) -> TimeEntry:
    patient = ctx.patient(patient_id, *TIME)
    entry = service.log(db.Session, patient, body, ctx.staff, ctx.now, request.remote_addr)
    ctx.audit(
        "api_time_entry_create",
        patient=patient,
        object_type="time_entry",
        object_id=entry.id,
        minutes=entry.minutes,
    )
    return present.time_entry(entry)
