"""Who is calling: the bearer token, the staff member it acts as, their clinics per role, and
the audit trail of what they did (DESIGN 2: every chart view, export and change is audited)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import request
from sqlalchemy import select

from cocm import db
from cocm.api.errors import NotFound
from cocm.audit import record
from cocm.models import ApiToken, Clinic, Patient, Staff

BEARER = "bearer "


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    if header[: len(BEARER)].lower() != BEARER:
        return None
    return header[len(BEARER) :].strip() or None


@dataclass
class ApiContext:
    token: ApiToken
    staff: Staff
    now: datetime
    audited: bool = field(default=False)

    def clinic_ids(self, *roles: str) -> set[int]:
        """Clinics where the caller holds any of ``roles`` (any role if none given)."""
        return {m.clinic_id for m in self.staff.memberships if not roles or m.role in roles}

    def has_role(self, *roles: str) -> bool:
        return bool(self.clinic_ids(*roles))

    def clinic(self, clinic_id: int) -> Clinic:
        return db.Session.get(Clinic, clinic_id)

    def patient(self, patient_id: int, *roles: str, action: str | None = None) -> Patient:
        """The patient if they belong to a clinic where the caller holds ``roles``; else
        NotFound, whether the patient is elsewhere or nowhere."""
        patient = db.Session.scalar(
            select(Patient).where(
                Patient.id == patient_id, Patient.clinic_id.in_(self.clinic_ids(*roles))
            )
        )
        if patient is None:
            raise NotFound("No patient of yours has this id.")
        if action:
            self.audit(action, patient=patient)
        return patient

    def audit(
        self,
        action: str,
        *,
        patient: Patient | None = None,
        clinic_id: int | None = None,
        object_type: str | None = None,
        object_id: int | None = None,
        **detail,
    ) -> None:
        """Record one event as this token's staff member, from the caller's address."""
        record(
            db.Session,
            action,
            staff_id=self.staff.id,
            api_token_id=self.token.id,
            clinic_id=patient.clinic_id if patient is not None else clinic_id,
            patient_id=patient.id if patient is not None else None,
            object_type=object_type,
            object_id=object_id,
            remote_addr=request.remote_addr,
            detail=detail or None,
        )
        self.audited = True
