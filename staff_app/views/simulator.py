"""The SMS simulator: text threads as patients see them, and replying as the patient.

With the ``console`` (or ``recording``) transport no text leaves the building: this page shows
every message in and out, including proactive ones still waiting in the outbox and when they
will go, and lets staff reply as the patient through exactly the inbound pipeline Twilio's
webhook uses. With the ``twilio`` transport the threads are shown read-only.
"""

from __future__ import annotations

import re
import uuid

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from cocm import db
from cocm.checkins import start_checkin
from cocm.checkins.records import open_conversation
from cocm.checkins.state import from_json
from cocm.clock import local, utcnow
from cocm.inbound import receive_sms
from cocm.messaging.keys import URGENT_KEY
from cocm.models import Clinic, Conversation, Message, OutboxItem, Patient, Staff
from staff_app.access import CLINICAL_ROLES, audit, clinic_ids, patient_or_404, roles_required

bp = Blueprint("simulator", __name__, url_prefix="/simulator")

ROLES = CLINICAL_ROLES + ("admin",)
INSTRUMENTS = ("PHQ-9", "GAD-7")
LIST_LIMIT = 100
_FAKE_SID = re.compile(r"SMsim[0-9a-f]{32}")


def _simulating() -> bool:
    """Replies as the patient only where no real text can go out."""
    return current_app.config["COCM_SETTINGS"].sms_transport != "twilio"


def _require_simulating() -> None:
    if not _simulating():
        abort(403)


@bp.route("/")
@roles_required(*ROLES)
def index():
    ids = clinic_ids(*ROLES)
    query = (request.args.get("q") or "").strip()[:80]
    threads = _threads(ids, query)
    audit("sms_simulator_list", shown=len(threads))
    return render_template(
        "simulator/index.html",
        threads=threads,
        pages=_staff_pages(ids),
        query=query,
        simulating=_simulating(),
    )


@bp.route("/patients/<int:patient_id>")
@roles_required(*ROLES)
def thread(patient_id: int):
    patient = patient_or_404(patient_id, *ROLES, action="sms_thread_view")
    conversation = open_conversation(db.Session, patient.id)
    return render_template(
        "simulator/thread.html",
        patient=patient,
        rows=_thread_rows(patient),
        conversation=conversation,
        state=from_json(conversation.state) if conversation is not None else None,
        fake_sid=f"SMsim{uuid.uuid4().hex}",
        instruments=INSTRUMENTS,
        simulating=_simulating(),
        when=lambda moment: _when(moment, patient.zone),
    )


@bp.route("/patients/<int:patient_id>/reply", methods=["POST"])
@roles_required(*ROLES)
def reply(patient_id: int):
    _require_simulating()
    patient = patient_or_404(patient_id, *ROLES, action=None)
    body = request.form.get("body", "")
    if not body.strip():
        flash("Write the patient's text before sending.")
        return _back(patient)
    if not patient.phone_e164 or not patient.clinic.sms_number:
        flash("This patient or their clinic has no texting number, so no text can arrive.")
        return _back(patient)
    # The form carries its own fake MessageSid: a form posted twice is a replayed webhook.
    sid = request.form.get("sid", "")
    if not _FAKE_SID.fullmatch(sid):
        sid = f"SMsim{uuid.uuid4().hex}"
    result = receive_sms(
        db.Session,
        message_sid=sid,
        from_number=patient.phone_e164,
        to_number=patient.clinic.sms_number,
        body=body,
        opt_out_type=None,
        now=utcnow(),
    )
    audit(
        "sms_simulator_reply", patient=patient, object_type="message", object_id=result.message.id
    )
    if result.replayed:
        flash("That text was already sent.")
    elif result.message.patient_id != patient.id:
        flash("Another patient of the clinic shares this number; the text went to their thread.")
    return _back(patient)


@bp.route("/patients/<int:patient_id>/checkin", methods=["POST"])
@roles_required(*ROLES)
def checkin(patient_id: int):
    _require_simulating()
    patient = patient_or_404(patient_id, *ROLES, action=None)
    instrument = request.form.get("instrument", "")
    if instrument not in INSTRUMENTS:
        flash("Choose PHQ-9 or GAD-7.")
        return _back(patient)
    try:
        conversation = start_checkin(db.Session, patient, instrument, utcnow())
    except ValueError as exc:
        flash(str(exc))
        return _back(patient)
    audit(
        "checkin_started",
        patient=patient,
        object_type="conversation",
        object_id=conversation.id,
        instrument=instrument,
    )
    flash(f"{instrument} check-in started.")
    return _back(patient)


@bp.route("/patients/<int:patient_id>/deliver", methods=["POST"])
@roles_required(*ROLES)
def deliver(patient_id: int):
    """Deliver this patient's due outbox rows right after this request commits.

    They are handed to the outbox's after-commit hook as urgent rows, which it delivers in this
    process with the configured sender: no worker or Redis needed, and the handler never commits.
    """
    _require_simulating()
    patient = patient_or_404(patient_id, *ROLES, action=None)
    ids = list(
        db.Session.scalars(
            select(OutboxItem.id)
            .join(Message, Message.id == OutboxItem.message_id)
            .where(
                Message.patient_id == patient.id,
                OutboxItem.status == "pending",
                OutboxItem.not_before <= utcnow(),
            )
            .order_by(OutboxItem.not_before, OutboxItem.id)
        )
    )
    db.Session.info.setdefault(URGENT_KEY, []).extend(ids)
    audit("sms_simulator_deliver", patient=patient, outbox_ids=ids)
    flash(f"{len(ids)} due message(s) delivered." if ids else "No message is due yet.")
    return _back(patient)


def _back(patient: Patient):
    return redirect(url_for("simulator.thread", patient_id=patient.id))


def _when(moment, zone: str) -> str:
    return local(moment, zone).strftime("%a %b %d, %H:%M %Z") if moment else ""


def _threads(ids: set[int], query: str) -> list[dict]:
    """The clinics' patients, latest text first: three queries whatever the number of rows."""
    stats = (
        select(
            Message.patient_id,
            func.max(Message.created_at).label("last_at"),
            func.count(Message.id).label("count"),
        )
        .where(Message.clinic_id.in_(ids), Message.patient_id.is_not(None))
        .group_by(Message.patient_id)
        .subquery()
    )
    statement = (
        select(Patient, stats.c.last_at, stats.c.count)
        .options(joinedload(Patient.clinic))
        .outerjoin(stats, stats.c.patient_id == Patient.id)
        .where(Patient.clinic_id.in_(ids))
        .order_by(stats.c.last_at.desc().nulls_last(), Patient.last_name, Patient.id)
        .limit(LIST_LIMIT)
    )
    if query:
        like = f"%{query}%"
        statement = statement.where(
            or_(
                Patient.first_name.ilike(like),
                Patient.last_name.ilike(like),
                Patient.mrn.ilike(like),
            )
        )
    rows = db.Session.execute(statement).all()
    patient_ids = [patient.id for patient, _, _ in rows]
    last = _last_messages(patient_ids)
    open_ids = _open_conversations(patient_ids)
    return [
        {
            "patient": patient,
            "last_at": _when(last_at, patient.zone) if last_at else "",
            "count": count or 0,
            "last": last.get(patient.id),
            "open": open_ids.get(patient.id),
        }
        for patient, last_at, count in rows
    ]


def _last_messages(patient_ids: list[int]) -> dict[int, Message]:
    if not patient_ids:
        return {}
    ranked = (
        select(
            Message.id,
            func.row_number()
            .over(
                partition_by=Message.patient_id,
                order_by=(Message.created_at.desc(), Message.id.desc()),
            )
            .label("rank"),
        )
        .where(Message.patient_id.in_(patient_ids))
        .subquery()
    )
    messages = db.Session.scalars(
        select(Message).join(ranked, ranked.c.id == Message.id).where(ranked.c.rank == 1)
    )
    return {message.patient_id: message for message in messages}


def _open_conversations(patient_ids: list[int]) -> dict[int, str]:
    if not patient_ids:
        return {}
    rows = db.Session.execute(
        select(Conversation.patient_id, Conversation.kind, Conversation.instrument).where(
            Conversation.patient_id.in_(patient_ids), Conversation.status == "open"
        )
    )
    return {
        patient_id: instrument or kind.replace("_", " ") for patient_id, kind, instrument in rows
    }


def _thread_rows(patient: Patient) -> list[dict]:
    rows = db.Session.execute(
        select(Message, OutboxItem)
        .outerjoin(OutboxItem, OutboxItem.message_id == Message.id)
        .where(Message.patient_id == patient.id)
        .order_by(Message.created_at, Message.id)
    ).all()
    return [
        {
            "message": message,
            "at": _when(message.created_at, patient.zone),
            "status": _status(message, item, patient.zone),
        }
        for message, item in rows
    ]


def _status(message: Message, item: OutboxItem | None, zone: str) -> str:
    if item is not None and item.status == "pending":
        return f"queued, goes {_when(item.not_before, zone)}"
    if item is not None and item.status == "cancelled":
        return f"cancelled ({item.last_error or message.error_code or 'not sent'})"
    if message.error_code:
        return f"{message.status} ({message.error_code})"
    return message.status


def _staff_pages(ids: set[int]) -> list[dict]:
    rows = db.Session.execute(
        select(Message, Staff.full_name, Clinic.timezone, OutboxItem)
        .join(Staff, Staff.id == Message.staff_id)
        .join(Clinic, Clinic.id == Message.clinic_id)
        .outerjoin(OutboxItem, OutboxItem.message_id == Message.id)
        .where(Message.clinic_id.in_(ids), Message.staff_id.is_not(None))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(50)
    ).all()
    return [
        {
            "message": message,
            "to": name,
            "at": _when(message.created_at, zone),
            "status": _status(message, item, zone),
        }
        for message, name, zone, item in rows
    ]
