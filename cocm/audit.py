"""The audit trail: who did what, to which patient, when and from where."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cocm.clock import utcnow
from cocm.models import AuditEvent


def record(
    session: Session,
    action: str,
    *,
    staff_id: int | None = None,
    api_token_id: int | None = None,
    clinic_id: int | None = None,
    patient_id: int | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    remote_addr: str | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    """Add one audit event to the current unit of work (committed with it)."""
    event = AuditEvent(
        occurred_at=utcnow(),
        action=action,
        staff_id=staff_id,
        api_token_id=api_token_id,
        clinic_id=clinic_id,
        patient_id=patient_id,
        object_type=object_type,
        object_id=object_id,
        remote_addr=remote_addr,
        detail=detail,
    )
    session.add(event)
    return event
