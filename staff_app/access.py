"""Who may see and do what in the staff app.

A person sees only patients of their own clinics: anything else is a 404, never a 403, so the
existence of another clinic's patient is not revealed. Every chart view and change is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from cocm import db
from cocm.audit import record
from cocm.models import Patient, Staff

# Roles that may act on patients' care (everything that is not pure administration).
CLINICAL_ROLES = ("care_manager", "treating_clinician", "psychiatric_consultant", "clinic_lead")

# (label, endpoint, roles allowed to see it); an entry shows only if its endpoint is registered.
NAV = (
    ("Queue", "queue.index", ("care_manager", "clinic_lead", "treating_clinician")),
    ("Registry", "registry.index", CLINICAL_ROLES),
    ("Enroll", "enroll.new", ("care_manager",)),
    ("Case review", "review.index", ("psychiatric_consultant", "care_manager", "clinic_lead")),
    ("Inbox", "review.inbox", ("treating_clinician",)),
    ("Plans to sign", "episodes.to_sign", ("treating_clinician",)),
    ("Billing", "billing.month", ("clinic_lead", "admin")),
    ("Dashboard", "dashboard.index", ("clinic_lead",)),
    ("SMS simulator", "simulator.index", CLINICAL_ROLES + ("admin",)),
    ("Clinic setup", "admin.index", ("admin",)),
    ("Audit log", "audit_log.index", ("admin",)),
    ("API tokens", "api_tokens.index", ("admin",)),
)


def current_staff() -> Staff:
    return current_user.staff


def clinic_ids(*roles: str) -> set[int]:
    """Clinics where the signed-in person holds any of ``roles`` (any role if none given)."""
    return {m.clinic_id for m in current_user.staff.memberships if not roles or m.role in roles}


def has_role(*roles: str) -> bool:
    return current_user.is_authenticated and bool(current_user.roles & set(roles))


def roles_required(*roles: str) -> Callable:
    """Signed in, and holding at least one of ``roles`` in some clinic; otherwise 403."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def patient_or_404(patient_id: int, *roles: str, action: str | None = "chart_view") -> Patient:
    """The patient if they belong to one of the person's clinics (where they hold ``roles``)."""
    patient = db.Session.scalar(
        select(Patient).where(Patient.id == patient_id, Patient.clinic_id.in_(clinic_ids(*roles)))
    )
    if patient is None:
        abort(404)
    if action:
        audit(action, patient=patient)
    return patient


def audit(action: str, *, patient: Patient | None = None, clinic_id: int | None = None, **detail):
    """Record who did what, to which patient, when and from where."""
    return record(
        db.Session,
        action,
        staff_id=current_user.id,
        clinic_id=patient.clinic_id if patient is not None else clinic_id,
        patient_id=patient.id if patient is not None else None,
        object_type=detail.pop("object_type", None),
        object_id=detail.pop("object_id", None),
        remote_addr=request.remote_addr,
        detail=detail or None,
    )


def navigation() -> dict:
    """The top navigation for the signed-in person (a Flask context processor)."""
    from flask import current_app

    if not current_user.is_authenticated:
        return {"nav_items": []}
    items = []
    for label, endpoint, roles in NAV:
        if endpoint in current_app.view_functions and has_role(*roles):
            items.append(
                {
                    "label": label,
                    "url": url_for(endpoint),
                    "current": request.endpoint == endpoint,
                }
            )
    return {"nav_items": items}
