"""What a clinic still needs before its first patient can be enrolled."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.models import Clinic, EscalationStep, Membership, Staff


@dataclass(frozen=True)
class Check:
    key: str
    label: str
    done: bool
    hint: str


def _has_role(session: Session, clinic_id: int, role: str) -> bool:
    return (
        session.scalar(
            select(Membership.id)
            .join(Staff, Staff.id == Membership.staff_id)
            .where(
                Membership.clinic_id == clinic_id,
                Membership.role == role,
                Staff.is_active.is_(True),
            )
            .limit(1)
        )
        is not None
    )


def _chain_ends_with_lead(session: Session, clinic: Clinic) -> bool:
    steps = session.scalars(
        select(EscalationStep)
        .where(EscalationStep.clinic_id == clinic.id)
        .order_by(EscalationStep.position)
    ).all()
    if len(steps) < 2 or steps[0].position != 0:
        return False
    last = steps[-1]
    return (
        session.scalar(
            select(Membership.id).where(
                Membership.clinic_id == clinic.id,
                Membership.staff_id == last.staff_id,
                Membership.role == "clinic_lead",
            )
        )
        is not None
    )


def setup_checklist(session: Session, clinic: Clinic) -> list[Check]:
    """Each thing needed before the first enrollment, and whether it is in place."""
    return [
        Check(
            "texting",
            "Texting number or Messaging Service",
            bool(clinic.sms_number or clinic.messaging_service_sid),
            "Enter the clinic's texting number (E.164) or its Messaging Service SID.",
        ),
        Check(
            "care_manager",
            "At least one care manager",
            _has_role(session, clinic.id, "care_manager"),
            "Add a staff member with the care manager role.",
        ),
        Check(
            "treating_clinician",
            "A treating clinician",
            _has_role(session, clinic.id, "treating_clinician"),
            "Add a staff member with the treating clinician role.",
        ),
        Check(
            "psychiatric_consultant",
            "A psychiatric consultant",
            _has_role(session, clinic.id, "psychiatric_consultant"),
            "Add a staff member with the psychiatric consultant role.",
        ),
        Check(
            "escalation",
            "Escalation chain ending with a clinic lead",
            _chain_ends_with_lead(session, clinic),
            "Choose the on-call person and the people paged in turn, the clinic lead last.",
        ),
        Check(
            "case_review",
            "Case review day and time",
            clinic.review_weekday is not None and clinic.review_time is not None,
            "Set the weekly case review slot.",
        ),
    ]


def ready(checks: list[Check]) -> bool:
    return all(check.done for check in checks)
