"""The response queue: list, claim, close with an outcome.

Care managers of an item's clinic act on it; for an urgent item, so does everyone on the
clinic's escalation chain (they are the people paged about it). Other clinical roles may read.
"""

from __future__ import annotations

from sqlalchemy import select

from cocm import db
from cocm.api import people, present
from cocm.api.errors import Conflict, Invalid, NotFound
from cocm.api.pagination import page_of
from cocm.api.schemas.queue import QueueClose, QueueItem, QueuePage, QueueQuery
from cocm.models import Patient
from cocm.models import QueueItem as QueueItemRow
from cocm.registry.queue import escalation_clinics, queue_rows
from cocm.response_queue import QueueError, claim, close
from staff_app.api.context import ApiContext
from staff_app.api.problems import Forbidden
from staff_app.api.roles import READ
from staff_app.api.routing import operation
from staff_app.views.queue import close_errors

TAG = "queue"


def _item(ctx: ApiContext, item_id: int) -> QueueItemRow:
    item = db.Session.scalar(
        select(QueueItemRow).where(
            QueueItemRow.id == item_id, QueueItemRow.clinic_id.in_(ctx.clinic_ids(*READ))
        )
    )
    if item is None:
        raise NotFound("No queue item of yours has this id.")
    if item.clinic_id in ctx.clinic_ids("care_manager"):
        return item
    if item.priority == "urgent" and item.clinic_id in escalation_clinics(db.Session, ctx.staff.id):
        return item
    raise Forbidden(
        "Care managers of the clinic work its queue (and, for urgent items, the people on its "
        "escalation chain)."
    )


def _row(ctx: ApiContext, item: QueueItemRow) -> QueueItem:
    rows = queue_rows(db.Session, {item.clinic_id}, now=ctx.now, item_id=item.id, messages=0)
    return present.queue_item(rows[0])


def _audit(ctx: ApiContext, action: str, item: QueueItemRow, **detail) -> None:
    patient = db.Session.get(Patient, item.patient_id) if item.patient_id else None
    ctx.audit(
        action,
        patient=patient,
        clinic_id=item.clinic_id,
        object_type="queue_item",
        object_id=item.id,
        **detail,
    )


@operation(
    "GET",
    "/queue",
    summary="The response queue",
    tag=TAG,
    roles=READ,
    query=QueueQuery,
    response=QueuePage,
    description="Open items, urgent first then oldest first (or those closed in the last 30 "
    "days, newest first), each with its limit. A cursor whose item left the list is refused "
    "(422): start again.",
)
def list_queue(ctx: ApiContext, query: QueueQuery) -> QueuePage:
    scope = people.clinic_filter(db.Session, query.clinic, ctx.clinic_ids(*READ))
    rows = queue_rows(
        db.Session,
        scope,
        now=ctx.now,
        who=query.who,
        staff_id=ctx.staff.id,
        closed=query.view == "closed",
        messages=0,
    )
    page, cursor = page_of(rows, query.limit, query.cursor, lambda row: row.id)
    ctx.audit("api_queue_view", view=query.view, who=query.who, rows=len(page))
    return QueuePage(items=[present.queue_item(row) for row in page], next_cursor=cursor)


@operation(
    "POST",
    "/queue/{item_id}/claim",
    summary="Claim a queue item",
    tag=TAG,
    roles=READ,
    response=QueueItem,
    errors=(409,),
    description="You work it from now; claiming an urgent item acknowledges it and stops its "
    "escalation. Claiming your own item again changes nothing. 409 when someone else holds it "
    "or it is closed.",
)
def claim_queue_item(ctx: ApiContext, item_id: int) -> QueueItem:
    item = _item(ctx, item_id)
    try:
        claim(db.Session, item, ctx.staff, ctx.now)
    except QueueError as exc:
        raise Conflict(str(exc)) from None
    _audit(ctx, "api_queue_claim", item)
    return _row(ctx, item)


@operation(
    "POST",
    "/queue/{item_id}/close",
    summary="Close a queue item with its outcome",
    tag=TAG,
    roles=READ,
    body=QueueClose,
    response=QueueItem,
    description="An urgent item needs a structured outcome and a note (and the next step when "
    "the patient could not be reached). Closing a closed item changes nothing.",
)
def close_queue_item(ctx: ApiContext, item_id: int, body: QueueClose) -> QueueItem:
    item = _item(ctx, item_id)
    if item.status != "closed":
        errors = close_errors(item.priority, body.outcome or "", body.note, body.next_step or "")
        if errors:
            pairs = list(errors.items())
            raise Invalid(pairs[0][1], pairs)
        try:
            close(
                db.Session,
                item,
                ctx.staff,
                ctx.now,
                note=body.note,
                outcome=body.outcome,
                next_step=body.next_step or None,
            )
        except QueueError as exc:
            raise Invalid(str(exc)) from None
    _audit(ctx, "api_queue_close", item, outcome=item.outcome)
    return _row(ctx, item)
