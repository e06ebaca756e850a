"""What a failed text leaves behind: the number flagged on the chart and a queue item for staff.

Used by delivery (an error from the provider's API) and by status callbacks (a failure reported
later). The queue item is one open ``delivery_failure`` item per patient (or per staff member for
a page), so a dead number does not flood the queue.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from cocm import audit
from cocm.messaging.errors import number_problem_reason
from cocm.models import Message, Patient, QueueItem, Staff
from cocm.response_queue.service import open_item


def flag_number(
    session: Session, patient: Patient, code: str | None, now: datetime, *, message_id: int
) -> bool:
    """Mark the patient's number as unable to take texts (with a human reason); audited.

    Returns False when ``code`` does not describe a number problem.
    """
    reason = number_problem_reason(code)
    if reason is None:
        return False
    if patient.phone_problem != reason:
        patient.phone_problem = reason
        patient.phone_problem_at = now
        audit.record(
            session,
            "patient.phone_problem_flagged",
            clinic_id=patient.clinic_id,
            patient_id=patient.id,
            object_type="message",
            object_id=message_id,
            detail={"error_code": code},
        )
    return True


def open_delivery_failure(
    session: Session, message: Message, reason: str, now: datetime
) -> QueueItem | None:
    """Open (or return the open) ``delivery_failure`` item for the message's recipient."""
    if message.patient_id is not None:
        clinic_id = message.clinic_id or session.get(Patient, message.patient_id).clinic_id
        return open_item(
            session,
            clinic_id=clinic_id,
            patient_id=message.patient_id,
            kind="delivery_failure",
            reason=reason,
            now=now,
            dedupe_key=f"delivery_failure:patient:{message.patient_id}",
            message_id=message.id,
        )
    if message.staff_id is not None and message.clinic_id is not None:
        return open_item(
            session,
            clinic_id=message.clinic_id,
            patient_id=None,
            kind="delivery_failure",
            reason=reason,
            now=now,
            dedupe_key=f"delivery_failure:staff:{message.staff_id}",
            message_id=message.id,
        )
    return None


def failure_reason(
    session: Session, message: Message, code: str | None, *, gave_up_after: int | None = None
) -> str:
    """The queue item's text: what happened and what staff should do."""
    shown = f" (error {code})" if code else ""
    if message.patient_id is None:
        staff = session.get(Staff, message.staff_id) if message.staff_id else None
        who = staff.full_name if staff is not None else "a staff member"
        return f"A page to {who} could not be delivered{shown}. Check their phone number."
    if gave_up_after:
        return (
            f"A text to this patient could not be sent after {gave_up_after} tries{shown}. "
            "Call the patient."
        )
    reason = number_problem_reason(code)
    if reason:
        return f"Texts cannot reach this patient{shown}: {reason} Call to check the number."
    return (
        f"The SMS provider refused a text to this patient{shown}. "
        "Check the clinic's texting setup, then call the patient."
    )


def record_failure(
    session: Session,
    message: Message,
    code: str | None,
    now: datetime,
    *,
    gave_up_after: int | None = None,
) -> QueueItem | None:
    """Everything a permanent failure means: flag the number when the code says so, and tell
    staff through the queue. The caller sets the message's own status."""
    if message.patient_id is not None and gave_up_after is None:
        patient = session.get(Patient, message.patient_id)
        flag_number(session, patient, code, now, message_id=message.id)
    item = open_delivery_failure(
        session, message, failure_reason(session, message, code, gave_up_after=gave_up_after), now
    )
    session.flush()
    return item
