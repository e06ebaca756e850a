"""Starting a text check-in."""

from __future__ import annotations

from flask import url_for

from cocm import db
from cocm.api.schemas.checkins import CheckinStart, CheckinStarted
from cocm.checkins import start_checkin
from cocm.checkins.service import send_at
from staff_app.api.context import ApiContext
from staff_app.api.roles import CARE
from staff_app.api.routing import Created, operation


@operation(
    "POST",
    "/patients/{patient_id}/checkins",
    summary="Start a text check-in",
    tag="check-ins",
    roles=CARE,
    body=CheckinStart,
    response=CheckinStarted,
    status=202,
    errors=(409,),
    idempotent=True,
    location=True,
    description="Opens the conversation and queues its first question for now, or for the "
    "opening of the patient's texting window. An open conversation is superseded (its answers "
    "kept). Location is the assessment, which fills in as the patient replies. 409 when the "
    "patient cannot be texted (opted out, no consent, no number, a number the carrier "
    "refused).",
)
def start_checkin_now(ctx: ApiContext, patient_id: int, body: CheckinStart) -> Created:
    patient = ctx.patient(patient_id, *CARE)
    conversation = start_checkin(db.Session, patient, body.instrument, ctx.now)
    goes_at = send_at(patient, ctx.now)
    ctx.audit(
        "api_checkin_start",
        patient=patient,
        object_type="conversation",
        object_id=conversation.id,
        instrument=body.instrument,
    )
    started = CheckinStarted(
        conversation_id=conversation.id,
        assessment_id=conversation.assessment_id,
        patient_id=patient.id,
        instrument=body.instrument,
        send_at=goes_at,
        sends_now=goes_at <= ctx.now,
    )
    return Created(started, url_for("api.get_assessment", assessment_id=conversation.assessment_id))
