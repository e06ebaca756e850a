"""Episodes of care: start, list, read, change status, close."""

from __future__ import annotations

from flask import url_for
from sqlalchemy import select

from cocm import db
from cocm.api import episodes as service
from cocm.api import present
from cocm.api.errors import NotFound
from cocm.api.pagination import decode_cursor, next_cursor
from cocm.api.schemas.common import PageQuery
from cocm.api.schemas.episodes import (
    Episode,
    EpisodeClose,
    EpisodeCreate,
    EpisodePage,
    EpisodeUpdate,
)
from cocm.models import Episode as EpisodeRow
from cocm.models import Patient
from staff_app.api.context import ApiContext
from staff_app.api.roles import CARE, READ
from staff_app.api.routing import Created, operation

TAG = "episodes"


def _episode(ctx: ApiContext, episode_id: int, roles) -> tuple[EpisodeRow, Patient]:
    row = db.Session.get(EpisodeRow, episode_id)
    if row is None:
        raise NotFound("No episode of yours has this id.")
    try:
        patient = ctx.patient(row.patient_id, *roles)
    except NotFound:
        raise NotFound("No episode of yours has this id.") from None
    return row, patient


@operation(
    "POST",
    "/patients/{patient_id}/episodes",
    summary="Start an episode of care",
    tag=TAG,
    roles=CARE,
    body=EpisodeCreate,
    response=Episode,
    status=201,
    errors=(409,),
    idempotent=True,
    location=True,
    description="Enrolls the patient (status `enrolled`) with the program, the initiating "
    "visit and the documented consent; the PHQ-9 baseline falls due at once and a textable "
    "patient gets the welcome text. 409 when the clinic's setup is unfinished, the patient "
    "has an open episode, or their last CoCM service was less than six months ago.",
)
def create_episode(ctx: ApiContext, patient_id: int, body: EpisodeCreate) -> Created:
    patient = ctx.patient(patient_id, *CARE)
    episode = service.create(db.Session, patient, body, ctx.staff, ctx.now)
    ctx.audit(
        "api_episode_create",
        patient=patient,
        object_type="episode",
        object_id=episode.id,
        program=episode.program,
        care_plan=body.care_plan is not None,
    )
    return Created(
        present.episode(db.Session, episode),
        url_for("api.get_episode", episode_id=episode.id),
    )


@operation(
    "GET",
    "/patients/{patient_id}/episodes",
    summary="List a patient's episodes",
    tag=TAG,
    roles=READ,
    query=PageQuery,
    response=EpisodePage,
)
def list_episodes(ctx: ApiContext, patient_id: int, query: PageQuery) -> EpisodePage:
    patient = ctx.patient(patient_id, *READ, action="api_chart_view")
    statement = select(EpisodeRow).where(EpisodeRow.patient_id == patient.id)
    after = decode_cursor(query.cursor)
    if after is not None:
        statement = statement.where(EpisodeRow.id > after)
    rows = list(db.Session.scalars(statement.order_by(EpisodeRow.id).limit(query.limit + 1)))
    return EpisodePage(
        items=[present.episode(db.Session, row) for row in rows[: query.limit]],
        next_cursor=next_cursor(rows, query.limit, lambda row: row.id),
    )


@operation(
    "GET",
    "/episodes/{episode_id}",
    summary="Read an episode",
    tag=TAG,
    roles=READ,
    response=Episode,
)
def get_episode(ctx: ApiContext, episode_id: int) -> Episode:
    episode, patient = _episode(ctx, episode_id, READ)
    ctx.audit("api_episode_view", patient=patient, object_type="episode", object_id=episode.id)
    return present.episode(db.Session, episode)


@operation(
    "PATCH",
    "/episodes/{episode_id}",
    summary="Change an episode's status",
    tag=TAG,
    roles=CARE,
    body=EpisodeUpdate,
    response=Episode,
    errors=(409,),
    description="`active`, or `relapse_prevention` (a step-down, with a note). 409 for an "
    "episode that has ended.",
)
def update_episode(ctx: ApiContext, episode_id: int, body: EpisodeUpdate) -> Episode:
    episode, patient = _episode(ctx, episode_id, CARE)
    changed = service.update_status(db.Session, episode, body, ctx.staff, ctx.now)
    ctx.audit(
        "api_episode_status",
        patient=patient,
        object_type="episode",
        object_id=episode.id,
        status=episode.status,
        changed=changed,
    )
    return present.episode(db.Session, episode)


@operation(
    "POST",
    "/episodes/{episode_id}/close",
    summary="Close an episode with a reason",
    tag=TAG,
    roles=CARE,
    body=EpisodeClose,
    response=Episode,
    errors=(409,),
    description="Completed, transferred (with a referral tracked until the patient is seen) "
    "or disengaged (after the clinic's minimum of documented outreach attempts, with a "
    "re-entry path). Stops the measurement schedule and the patient's queued texts.",
)
def close_episode(ctx: ApiContext, episode_id: int, body: EpisodeClose) -> Episode:
    episode, patient = _episode(ctx, episode_id, CARE)
    referral_id = service.close(db.Session, episode, body, ctx.staff, ctx.now)
    ctx.audit(
        "api_episode_close",
        patient=patient,
        object_type="episode",
        object_id=episode.id,
        status=episode.status,
        referral_id=referral_id,
    )
    return present.episode(db.Session, episode)
