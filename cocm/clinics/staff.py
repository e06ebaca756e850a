"""Adding staff to a clinic, changing their roles there, and deactivating accounts.

An admin acts within the clinics they administer: roles are changed per clinic, and an account
is deactivated only when every clinic it works in is one the admin administers (otherwise the
admin removes the roles in their own clinic). Nobody can lock themselves out.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.accounts import AccountError, hash_password
from cocm.clinics.errors import ClinicError
from cocm.enrollment.fields import us_phone_e164
from cocm.models import Clinic, EscalationStep, Membership, Staff
from cocm.models.enums import ROLES


@dataclass
class NewStaff:
    email: str
    full_name: str
    password: str
    roles: list[str] = field(default_factory=list)
    phone: str | None = None


def _phone(text: str | None) -> str | None:
    if not (text or "").strip():
        return None
    try:
        return us_phone_e164(text)
    except ValueError as exc:
        raise ClinicError("phone", str(exc)) from None


def _roles(roles) -> set[str]:
    chosen = set(roles or [])
    if not chosen:
        raise ClinicError("roles", "Choose at least one role.")
    if chosen - set(ROLES):
        raise ClinicError("roles", "Choose roles from the list.")
    return chosen


def add_staff(session: Session, clinic: Clinic, data: NewStaff) -> tuple[Staff, bool]:
    """Create an account with roles in ``clinic``; returns (staff, created).

    Someone who already has an account at another clinic gets the roles here added to it
    (their password is left alone); someone already working here is refused, so a form posted
    twice never makes two accounts.
    """
    email = (data.email or "").strip().lower()
    if "@" not in email or len(email) > 254 or " " in email:
        raise ClinicError("email", "Enter a valid e-mail address.")
    name = (data.full_name or "").strip()
    if not name or len(name) > 120:
        raise ClinicError("full_name", "Enter the person's name (up to 120 characters).")
    roles = _roles(data.roles)
    phone = _phone(data.phone)
    staff = session.scalar(select(Staff).where(Staff.email == email))
    if staff is not None:
        if any(m.clinic_id == clinic.id for m in staff.memberships):
            raise ClinicError("email", "This person already works here; change their roles below.")
        for role in sorted(roles):
            staff.memberships.append(Membership(clinic_id=clinic.id, role=role))
        session.flush()
        return staff, False
    try:
        password_hash = hash_password(data.password or "")
    except AccountError:
        raise ClinicError(
            "password", "The temporary password needs at least 10 characters."
        ) from None
    staff = Staff(email=email, full_name=name, password_hash=password_hash, phone=phone)
    staff.memberships = [Membership(clinic_id=clinic.id, role=role) for role in sorted(roles)]
    session.add(staff)
    session.flush()
    return staff, True


def _in_chain(session: Session, staff: Staff, clinic_ids) -> Clinic | None:
    return session.scalar(
        select(Clinic)
        .join(EscalationStep, EscalationStep.clinic_id == Clinic.id)
        .where(EscalationStep.staff_id == staff.id, Clinic.id.in_(list(clinic_ids)))
        .limit(1)
    )


def update_staff(
    session: Session,
    staff: Staff,
    clinic: Clinic,
    *,
    roles,
    phone: str | None,
    full_name: str,
    acting: Staff,
) -> dict:
    """Set a person's roles in ``clinic``, their name and pager phone; returns what changed."""
    chosen = set(roles or [])
    if chosen - set(ROLES):
        raise ClinicError("roles", "Choose roles from the list.")
    name = (full_name or "").strip()
    if not name or len(name) > 120:
        raise ClinicError("full_name", "Enter the person's name (up to 120 characters).")
    current = {m.role for m in staff.memberships if m.clinic_id == clinic.id}
    if staff.id == acting.id and "admin" in current and "admin" not in chosen:
        raise ClinicError("roles", "You cannot remove your own admin role.")
    if not chosen and _in_chain(session, staff, [clinic.id]):
        raise ClinicError("roles", "Take this person off the escalation chain first.")
    new_phone = _phone(phone)
    if new_phone is None and _in_chain(session, staff, [clinic.id]):
        raise ClinicError("phone", "People on the escalation chain need a phone for pages.")
    changes: dict = {}
    if chosen != current:
        changes["roles"] = [sorted(current), sorted(chosen)]
        for membership in list(staff.memberships):
            if membership.clinic_id == clinic.id and membership.role not in chosen:
                staff.memberships.remove(membership)
        for role in sorted(chosen - current):
            staff.memberships.append(Membership(clinic_id=clinic.id, role=role))
    if new_phone != staff.phone:
        changes["phone"] = "changed"  # no phone numbers in the audit trail
        staff.phone = new_phone
    if name != staff.full_name:
        changes["full_name"] = [staff.full_name, name]
        staff.full_name = name
    session.flush()
    return changes


def set_active(
    session: Session, staff: Staff, active: bool, *, admin_clinic_ids, acting: Staff
) -> bool:
    """Deactivate or reactivate an account; returns False when nothing changed."""
    if staff.is_active == active:
        return False
    if not active:
        if staff.id == acting.id:
            raise ClinicError(None, "You cannot deactivate your own account.")
        elsewhere = {m.clinic_id for m in staff.memberships} - set(admin_clinic_ids)
        if elsewhere:
            raise ClinicError(
                None,
                "This person also works at a clinic you do not manage; remove their roles "
                "here instead.",
            )
        chain_clinic = _in_chain(session, staff, admin_clinic_ids)
        if chain_clinic is not None:
            raise ClinicError(
                None, f"Take this person off {chain_clinic.name}'s escalation chain first."
            )
    staff.is_active = active
    if active:
        staff.failed_logins = 0
        staff.locked_until = None
    session.flush()
    return True
