"""The response queue: urgent first, then oldest first; claim, note, release and close.

Care managers work the queue; anyone on a clinic's risk escalation chain may also act on that
clinic's urgent items (they are the people paged about them). Treating clinicians, consultants
and leads can look. Every view and every change is audited.
"""

from __future__ import annotations

import hashlib

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from sqlalchemy import select

from cocm import db
from cocm.clock import utcnow
from cocm.models import Clinic, Patient, QueueItem
from cocm.models.enums import URGENT_OUTCOMES
from cocm.registry.display import Display
from cocm.registry.queue import OUTCOME_LABELS, WHO, escalation_clinics, queue_rows
from cocm.registry.queue_detail import queue_item_detail
from cocm.response_queue.service import QueueError, add_note, claim, close, release
from staff_app.access import CLINICAL_ROLES, audit, clinic_ids, current_staff, roles_required

bp = Blueprint("queue", __name__, url_prefix="/queue")

NOTE_MAX = 4000


@bp.context_processor
def _endpoints() -> dict:
    # Link to other areas (the chart, contact notes) only once they exist.
    return {"endpoints": current_app.view_functions}


def _visible_clinics() -> set[int]:
    return clinic_ids(*CLINICAL_ROLES)


def _clinics(ids: set[int]) -> list[Clinic]:
    return list(db.Session.scalars(select(Clinic).where(Clinic.id.in_(ids)).order_by(Clinic.name)))


def _display(clinics: list[Clinic], now) -> Display:
    return Display(clinics[0].timezone if clinics else "UTC", now)


def _filters(allowed: set[int]) -> tuple[str, int | None, bool, set[int]]:
    who = request.args.get("who", "all")
    who = who if who in WHO else "all"
    closed = request.args.get("view") == "closed"
    clinic = request.args.get("clinic", type=int)
    scope = {clinic} & allowed if clinic else allowed
    return who, clinic if clinic in allowed else None, closed, scope


def may_act(item: QueueItem) -> bool:
    """Care managers of the item's clinic; for urgent items, its escalation chain too."""
    if item.clinic_id in clinic_ids("care_manager"):
        return True
    return item.priority == "urgent" and item.clinic_id in escalation_clinics(
        db.Session, current_staff().id
    )


def _act_clinics() -> dict[str, set[int]]:
    """Where the person may act from the list: normal items, and urgent items."""
    managed = clinic_ids("care_manager")
    return {
        "normal": managed,
        "urgent": managed | escalation_clinics(db.Session, current_staff().id),
    }


def _signature(rows, display: Display) -> str:
    # Changes when an item arrives, moves, is claimed or closed, or a wait passes a minute.
    parts = [
        f"{r.id}:{r.status}:{r.claimed_by_id}:{r.overdue}:{display.duration(r.waited)}"
        for r in rows
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


@bp.route("")
@roles_required(*CLINICAL_ROLES)
def index():
    allowed = _visible_clinics()
    if not allowed:
        abort(403)
    now = utcnow()
    who, clinic, closed, scope = _filters(allowed)
    staff = current_staff()
    rows = queue_rows(db.Session, scope, now=now, who=who, staff_id=staff.id, closed=closed)
    clinics = _clinics(allowed)
    display = _display(clinics, now)
    audit("queue_view", clinic_id=clinic, view="closed" if closed else "open", rows=len(rows))
    return render_template(
        "queue/index.html",
        rows=rows,
        who=who,
        clinic=clinic,
        closed=closed,
        clinics=clinics,
        fmt=display,
        signature=_signature(rows, display),
        max_id=max((r.id for r in rows), default=0),
        act=_act_clinics(),
    )


@bp.route("/poll")
@roles_required(*CLINICAL_ROLES)
def poll():
    """New items since ``since`` (an item id), with the rows re-rendered when they changed.

    A background poll is not activity: the idle sign-out must still happen, so the session's
    last-seen time is put back to what the browser's cookie held before this request.
    """
    original = current_app.session_interface.open_session(current_app, request)
    if original is not None and original.get("last_seen"):
        session["last_seen"] = original["last_seen"]
    allowed = _visible_clinics()
    if not allowed:
        abort(403)
    now = utcnow()
    who, _clinic, _closed, scope = _filters(allowed)  # the poll always watches open items
    since = request.args.get("since", 0, type=int)
    rows = queue_rows(db.Session, scope, now=now, who=who, staff_id=current_staff().id)
    clinics = _clinics(allowed)
    display = _display(clinics, now)
    signature = _signature(rows, display)
    new = [r for r in rows if r.id > since]
    payload = {
        "new": len(new),
        "urgent_new": sum(1 for r in new if r.urgent),
        "max_id": max([since, *(r.id for r in rows)]),
        "count": len(rows),
        "signature": signature,
        "html": None,
    }
    if signature != request.args.get("sig"):
        payload["html"] = render_template(
            "queue/_rows.html",
            rows=rows,
            fmt=display,
            act=_act_clinics(),
            closed=False,
            clinics=clinics,
        )
        if new:
            audit("queue_view", via="poll", rows=len(rows), new=len(new))
    return jsonify(payload)


def _item_or_404(item_id: int) -> QueueItem:
    item = db.Session.scalar(
        select(QueueItem).where(
            QueueItem.id == item_id, QueueItem.clinic_id.in_(_visible_clinics())
        )
    )
    if item is None:
        abort(404)
    return item


def _patient(item: QueueItem) -> Patient | None:
    return db.Session.get(Patient, item.patient_id) if item.patient_id else None


def _render_item(item_id: int, *, form=None, errors=None, status=200):
    now = utcnow()
    detail = queue_item_detail(db.Session, item_id, _visible_clinics(), now)
    if detail is None:
        abort(404)
    item = db.Session.get(QueueItem, item_id)
    audit(
        "queue_item_view",
        patient=_patient(item),
        clinic_id=item.clinic_id,
        object_type="queue_item",
        object_id=item_id,
    )
    if status >= 400:
        g.commit_on_error = True  # keep the view's audit event; the refused change wrote nothing
    clinic = db.Session.get(Clinic, item.clinic_id)
    chart_url = (
        url_for("chart.show", patient_id=item.patient_id)
        if item.patient_id and "chart.show" in current_app.view_functions
        else None
    )
    return (
        render_template(
            "queue/item.html",
            detail=detail,
            row=detail.row,
            fmt=Display(clinic.timezone, now),
            can_act=may_act(item),
            outcomes=[(key, OUTCOME_LABELS[key]) for key in URGENT_OUTCOMES],
            form=form or {},
            errors=errors or {},
            chart_url=chart_url,
        ),
        status,
    )


@bp.route("/<int:item_id>")
@roles_required(*CLINICAL_ROLES)
def item(item_id: int):
    return _render_item(item_id)


def _change(item_id: int):
    item = _item_or_404(item_id)
    if not may_act(item):
        abort(403)
    return item


def _audit_change(action: str, item: QueueItem, **detail) -> None:
    audit(
        action,
        patient=_patient(item),
        clinic_id=item.clinic_id,
        object_type="queue_item",
        object_id=item.id,
        **detail,
    )


def _back(item: QueueItem):
    target = request.form.get("next", "")
    if target == "queue":
        return redirect(url_for("queue.index"))
    return redirect(url_for("queue.item", item_id=item.id))


@bp.route("/<int:item_id>/claim", methods=["POST"])
@roles_required(*CLINICAL_ROLES)
def claim_item(item_id: int):
    item = _change(item_id)
    try:
        claim(db.Session, item, current_staff(), utcnow())
    except QueueError as exc:
        flash(str(exc))
        return _back(item)
    _audit_change("queue_claim", item)
    flash("Claimed. You are working this item.")
    return _back(item)


@bp.route("/<int:item_id>/release", methods=["POST"])
@roles_required(*CLINICAL_ROLES)
def release_item(item_id: int):
    item = _change(item_id)
    try:
        release(db.Session, item, current_staff(), utcnow())
    except QueueError as exc:
        flash(str(exc))
        return _back(item)
    _audit_change("queue_release", item)
    flash("Released back to the team.")
    return _back(item)


@bp.route("/<int:item_id>/note", methods=["POST"])
@roles_required(*CLINICAL_ROLES)
def note_item(item_id: int):
    item = _change(item_id)
    text = request.form.get("note", "").strip()
    if not text or len(text) > NOTE_MAX:
        message = (
            "Write a note before saving." if not text else "Keep the note under 4,000 letters."
        )
        return _render_item(item_id, form={"note": text}, errors={"note": message}, status=422)
    add_note(db.Session, item, current_staff(), text, utcnow())
    _audit_change("queue_note", item)
    flash("Note added.")
    return _back(item)


def close_errors(priority: str, outcome: str, note: str, next_step: str) -> dict[str, str]:
    """Field-by-field messages for the close form (the service enforces the same rules)."""
    errors = {}
    if priority == "urgent":
        if outcome not in URGENT_OUTCOMES:
            errors["outcome"] = "Choose the outcome of the risk follow-up."
        if not note:
            errors["note"] = "Write a note describing the follow-up."
        if outcome == "unable_to_reach" and not next_step:
            errors["next_step"] = "The patient was not reached: say what happens next."
    elif not note:
        errors["note"] = "Write a short note before closing."
    if len(note) > NOTE_MAX or len(next_step) > NOTE_MAX:
        errors.setdefault("note", "Keep the note under 4,000 letters.")
    return errors


@bp.route("/<int:item_id>/close", methods=["POST"])
@roles_required(*CLINICAL_ROLES)
def close_item(item_id: int):
    item = _change(item_id)
    if item.status == "closed":
        flash("This item was already closed; nothing changed.")
        return redirect(url_for("queue.item", item_id=item.id))
    form = {
        "outcome": request.form.get("outcome", ""),
        "note": request.form.get("note", "").strip(),
        "next_step": request.form.get("next_step", "").strip(),
    }
    errors = close_errors(item.priority, form["outcome"], form["note"], form["next_step"])
    outcome = form["outcome"] if form["outcome"] in URGENT_OUTCOMES else None
    if not errors:
        try:
            close(
                db.Session,
                item,
                current_staff(),
                utcnow(),
                note=form["note"],
                outcome=outcome,
                next_step=form["next_step"] or None,
            )
        except QueueError as exc:
            errors = {"form": str(exc)}
    if errors:
        return _render_item(item_id, form=form, errors=errors, status=422)
    _audit_change("queue_close", item, outcome=item.outcome)
    flash("Closed.")
    return redirect(url_for("queue.index"))
