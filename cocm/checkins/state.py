"""The bridge between the pure conversation engine and the database.

``Conversation.state`` holds the engine's ``ConversationState`` as JSON; ``patient_context``
tells the engine what it may know about the patient (first name only when the clinic allows it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cocm.conversation import ConversationState, PatientContext
from cocm.models import Clinic, Patient


def to_json(state: ConversationState) -> dict[str, Any]:
    """``state`` as a JSON-ready dict (datetimes as ISO 8601 with their UTC offset)."""
    return {
        "kind": state.kind,
        "instrument": state.instrument,
        "answers": list(state.answers),
        "opened_at": state.opened_at.isoformat(),
        "last_outbound_at": state.last_outbound_at.isoformat(),
        "invalid_streak": state.invalid_streak,
        "waiting_for_person": state.waiting_for_person,
        "reminded": state.reminded,
        "contact_when": state.contact_when,
    }


def from_json(data: dict[str, Any] | None) -> ConversationState | None:
    """The state stored by ``to_json``, or None for an empty value."""
    if not data:
        return None
    return ConversationState(
        kind=data["kind"],
        instrument=data.get("instrument"),
        answers=tuple(data.get("answers") or ()),
        opened_at=datetime.fromisoformat(data["opened_at"]),
        last_outbound_at=datetime.fromisoformat(data["last_outbound_at"]),
        invalid_streak=int(data.get("invalid_streak", 0)),
        waiting_for_person=bool(data.get("waiting_for_person", False)),
        reminded=bool(data.get("reminded", False)),
        contact_when=data.get("contact_when"),
    )


def clinic_phone(clinic: Clinic) -> str:
    """The number patients are told to call: the clinic's display number, else its SMS number."""
    return clinic.phone_display or clinic.sms_number or ""


def patient_context(patient: Patient | None, clinic: Clinic) -> PatientContext:
    """What the engine may know: nothing but the clinic for an unknown number."""
    if patient is None:
        return PatientContext(
            first_name=None,
            language="en",
            opted_out=False,
            known=False,
            clinic_name=clinic.name,
            clinic_phone=clinic_phone(clinic),
        )
    return PatientContext(
        first_name=patient.first_name if clinic.use_first_names else None,
        language=patient.language,
        opted_out=patient.sms_opted_out,
        known=True,
        clinic_name=clinic.name,
        clinic_phone=clinic_phone(clinic),
    )
