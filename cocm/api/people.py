"""Clinics and staff as the API names them: a clinic by slug among the caller's clinics, a care
manager or treating clinician by id among the clinic's active staff in that role."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.api.errors import Invalid
from cocm.models import Clinic, Membership, Staff


def clinic_for(session: Session, slug: str | None, allowed: Collection[int]) -> Clinic:
    """The caller's clinic named by ``slug``; without a slug, their only clinic.

    Raises Invalid("clinic") for a slug outside ``allowed`` (another clinic is not revealed)
    or a missing slug when the caller works in several clinics.
    """
    if slug is None:
        if len(allowed) != 1:
            raise Invalid.field("clinic", "Name the clinic (its slug): you work in several.")
        return session.get(Clinic, next(iter(allowed)))
    clinic = session.scalar(select(Clinic).where(Clinic.slug == slug, Clinic.id.in_(list(allowed))))
    if clinic is None:
        raise Invalid.field("clinic", "None of your clinics has this slug.")
    return clinic


def clinic_filter(session: Session, slug: str | None, allowed: Collection[int]) -> set[int]:
    """``allowed`` narrowed to the clinic named by ``slug`` (all of them without one)."""
    if slug is None:
        return set(allowed)
    return {clinic_for(session, slug, allowed).id}


def member(session: Session, staff_id: int | None, clinic_id: int, role: str) -> Staff | None:
    """The active staff member ``staff_id`` if they hold ``role`` in the clinic."""
    if staff_id is None:
        return None
    return session.scalar(
        select(Staff)
        .join(Membership, Membership.staff_id == Staff.id)
        .where(
            Staff.id == staff_id,
            Staff.is_active.is_(True),
            Membership.clinic_id == clinic_id,
            Membership.role == role,
        )
    )
