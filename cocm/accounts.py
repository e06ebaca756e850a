"""Staff accounts: creation, password checks and the sign-in lockout."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from cocm.clock import utcnow
from cocm.models import Clinic, Membership, Staff
from cocm.models.enums import ROLES

MAX_FAILED_SIGN_INS = 5
LOCKOUT = timedelta(minutes=15)
# Compared against when the e-mail is unknown, so both paths take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    """A staff account could not be created or changed; the message says why."""


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise AccountError("passwords need at least 10 characters")
    return generate_password_hash(password)  # scrypt


def create_staff(
    session: Session,
    *,
    email: str,
    full_name: str,
    password: str,
    roles: dict[str, list[str]],
    phone: str | None = None,
) -> Staff:
    """Create a staff member with roles per clinic slug, e.g. {"riverside": ["care_manager"]}."""
    email = email.strip().lower()
    if "@" not in email:
        raise AccountError(f"{email!r} is not an e-mail address")
    if session.scalar(select(Staff).where(Staff.email == email)):
        raise AccountError(f"a staff member with e-mail {email} already exists")
    staff = Staff(
        email=email, full_name=full_name, password_hash=hash_password(password), phone=phone
    )
    session.add(staff)
    for slug, clinic_roles in roles.items():
        clinic = session.scalar(select(Clinic).where(Clinic.slug == slug))
        if clinic is None:
            raise AccountError(f"no clinic with slug {slug!r}")
        for role in clinic_roles:
            if role not in ROLES:
                raise AccountError(f"unknown role {role!r} (one of {', '.join(ROLES)})")
            staff.memberships.append(Membership(clinic_id=clinic.id, role=role))
    session.flush()
    return staff


def authenticate(session: Session, email: str, password: str) -> tuple[Staff | None, str | None]:
    """Check a sign-in. Returns (staff, None) or (None, a message safe to show)."""
    now = utcnow()
    generic = "That e-mail and password do not match."
    staff = session.scalar(select(Staff).where(Staff.email == email.strip().lower()))
    if staff is None or not staff.is_active or not staff.password_hash:
        check_password_hash(_DUMMY_HASH, password)
        return None, generic
    if staff.locked_until and staff.locked_until > now:
        return None, "Too many failed attempts. Try again in 15 minutes or ask an admin."
    if not check_password_hash(staff.password_hash, password):
        staff.failed_logins += 1
        if staff.failed_logins >= MAX_FAILED_SIGN_INS:
            staff.locked_until = now + LOCKOUT
            staff.failed_logins = 0
        session.flush()
        return None, generic
    staff.failed_logins = 0
    staff.locked_until = None
    staff.last_login_at = now
    session.flush()
    return staff, None
