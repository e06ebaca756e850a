"""The statements ``cocm.messaging.delivery`` sends on outbox rows, outside the ORM's unit of work.

A delivery reads everything deciding a send in one statement (``LOOK``) and writes with single
UPDATEs (``write``), which cost less than the ORM's identity map and flush on every message.
"""

from __future__ import annotations

from sqlalchemy import Row, bindparam, func, select, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from cocm.models import Clinic, Message, OutboxItem, Patient, Staff

_PatientClinic = aliased(Clinic)
_MessageClinic = aliased(Clinic)
# Everything deciding a send, in one statement: the outbox row (locked; see ``deliver``), its
# message, the patient (or staff member), the patient's clinic (zone and window) and the
# message's clinic (the number it goes from).
LOOK = (
    select(
        OutboxItem.status,
        OutboxItem.attempts,
        OutboxItem.not_before,
        OutboxItem.locked_until,
        OutboxItem.message_id,
        Message.kind,
        Message.body,
        Message.status.label("message_status"),
        Message.patient_id,
        Message.staff_id,
        Message.clinic_id,
        Message.to_number,
        Message.from_number,
        Patient.sms_opted_out,
        Patient.phone_problem,
        Patient.phone_e164,
        func.coalesce(Patient.timezone, _PatientClinic.timezone).label("zone"),
        _PatientClinic.text_window_start,
        _PatientClinic.text_window_end,
        Staff.phone.label("staff_phone"),
        _MessageClinic.sms_number,
        _MessageClinic.messaging_service_sid,
    )
    .select_from(OutboxItem)
    .join(Message, Message.id == OutboxItem.message_id)
    .outerjoin(Patient, Patient.id == Message.patient_id)
    .outerjoin(_PatientClinic, _PatientClinic.id == Patient.clinic_id)
    .outerjoin(Staff, Staff.id == Message.staff_id)
    .outerjoin(_MessageClinic, _MessageClinic.id == Message.clinic_id)
    .where(OutboxItem.id == bindparam("outbox_id"))
    .with_for_update(of=OutboxItem.__table__)
)


def write(session: Session, model: type, row_id: int, *where, **values) -> bool:
    """UPDATE one row (``where``: extra compare-and-set conditions); True if it matched.

    The caller's session may hold that row as an object from before (these statements bypass
    the ORM): it gets the new values too, as if the ORM had written them.
    """
    done = (
        session.execute(
            update(model)
            .where(model.id == row_id, *where)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    held = session.identity_map.get(identity_key(model, row_id)) if done else None
    if held is not None:
        for name, value in values.items():
            set_committed_value(held, name, value)
    return done


def set_message(session: Session, row: Row, **values) -> None:
    """Write ``values`` on the row's message, only those that differ from what was read."""
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    if changed:
        write(session, Message, row.message_id, **changed)
