"""The loop of a recommendation: proposed, decided by the treating clinician, told to the patient.

States and who moves them (every other move is refused):

=============  ===================================  =================================
from           to                                   who
=============  ===================================  =================================
(none)         proposed                             a psychiatric consultant of the clinic
                                                    (``cocm.review.record``)
proposed       approved / modified / declined       the approver (below)
approved,      communicated                         a care manager of the clinic
modified
=============  ===================================  =================================

Declined and communicated are final: the loop is closed. *The approver* is the patient's
treating clinician when that person is an active treating clinician of the patient's clinic;
otherwise (none on file, or they left the clinic) any treating clinician of the clinic. Pages
show which, so nobody has to guess.

Telling the patient may change the care plan: a new version is written, copying the previous
version's fields with the change applied, linked to the recommendation and awaiting the treating
clinician's sign-off (``cocm.episodes.service.sign_care_plan``).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cocm.clock import utcnow
from cocm.episodes.service import holds_role, open_episode
from cocm.models import CarePlan, Episode, Patient, Recommendation, Staff
from cocm.review.errors import NotAllowed, ReviewError
from cocm.review.overdue import CLOSED_STATUSES, OPEN_STATUSES

ACTIONS = {"approve": "approved", "modify": "modified", "decline": "declined"}
DECIDED_STATUSES = ("approved", "modified")
STATUS_LABELS = {
    "proposed": "Awaiting the clinician",
    "approved": "Approved: tell the patient",
    "modified": "Approved with changes: tell the patient",
    "declined": "Declined",
    "communicated": "Told to the patient",
}
KIND_LABELS = {
    "medication": "Medication",
    "therapy": "Therapy",
    "labs": "Labs",
    "referral": "Referral",
    "safety": "Safety steps",
    "no_change": "No change",
}
COMMUNICATION_WAYS = {
    "phone": "Phone call",
    "video": "Video visit",
    "in_person": "In person",
    "portal": "Portal message",
    "sms": "Text message",
    "letter": "Letter",
}
MAX_TEXT = 2000
# A time typed to the minute may fall up to a minute before the decision it follows.
CLOCK_SLACK = timedelta(minutes=1)
FUTURE_SLACK = timedelta(minutes=5)

__all__ = [
    "ACTIONS",
    "CLOSED_STATUSES",
    "COMMUNICATION_WAYS",
    "DECIDED_STATUSES",
    "OPEN_STATUSES",
    "CarePlanChange",
    "approver_for",
    "communicate",
    "decide",
    "may_decide",
]


@dataclass
class CarePlanChange:
    """What changed in the care plan; a field left None keeps the previous version's text."""

    summary: str
    goals: str | None = None
    medications: str | None = None
    skill_plan: str | None = None
    follow_up: str | None = None
    safety_steps: str | None = None

    @staticmethod
    def plan_fields() -> tuple[str, ...]:
        return tuple(f.name for f in fields(CarePlanChange) if f.name != "summary")


def approver_for(session: Session, patient: Patient) -> Staff | None:
    """The one clinician who decides for this patient, or None: any treating clinician of the
    clinic (no treating clinician on file, or that person is no longer one of the clinic's)."""
    staff_id = patient.treating_clinician_id
    if staff_id is None:
        return None
    staff = session.get(Staff, staff_id)
    if staff is None or not staff.is_active:
        return None
    if not holds_role(session, staff, patient.clinic_id, "treating_clinician"):
        return None
    return staff


def approver_label(approver: Staff | None, clinic_name: str) -> str:
    if approver is not None:
        return approver.full_name
    return f"Any treating clinician of {clinic_name} (no treating clinician on file)"


def may_decide(session: Session, patient: Patient, staff: Staff) -> bool:
    """Whether ``staff`` may approve, modify or decline this patient's recommendations."""
    if not holds_role(session, staff, patient.clinic_id, "treating_clinician"):
        return False
    approver = approver_for(session, patient)
    return approver is None or approver.id == staff.id


def _lock(session: Session, rec: Recommendation) -> None:
    # Serialises two posts of the same decision on PostgreSQL; SQLite serialises writers anyway.
    session.execute(select(Recommendation.id).where(Recommendation.id == rec.id).with_for_update())
    session.refresh(rec)


def _text(value: str | None, field: str, message: str, *, required: bool) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise ReviewError(field, message)
        return None
    if len(text) > MAX_TEXT:
        raise ReviewError(field, f"Keep this under {MAX_TEXT} characters.")
    return text


def decide(
    session: Session,
    rec: Recommendation,
    staff: Staff,
    action: str,
    reason: str | None = None,
    modified_detail: str | None = None,
    now: datetime | None = None,
) -> bool:
    """The approver approves, modifies (with the changed recommendation) or declines (with a
    reason) a proposed recommendation. False when the same person already made the same
    decision (a form posted twice); NotAllowed for anyone but the approver."""
    now = now or utcnow()
    if action not in ACTIONS:
        raise ReviewError("action", "Choose approve, modify or decline.")
    patient = session.get(Patient, rec.patient_id)
    if not may_decide(session, patient, staff):
        approver = approver_for(session, patient)
        raise NotAllowed(
            f"Only {approver_label(approver, patient.clinic.name)} decides this recommendation."
        )
    _lock(session, rec)
    target = ACTIONS[action]
    if rec.status != "proposed":
        if rec.status == target and rec.decided_by_id == staff.id:
            return False
        raise ReviewError(None, f"This recommendation was already {rec.status}.")
    note = _text(
        reason, "reason", "Give the reason for declining; the consultant reads it.", required=False
    )
    if action == "decline" and note is None:
        raise ReviewError("reason", "Give the reason for declining; the consultant reads it.")
    changed = None
    if action == "modify":
        changed = _text(
            modified_detail,
            "modified_detail",
            "Write the recommendation as you approve it.",
            required=True,
        )
    rec.status = target
    rec.decided_by_id = staff.id
    rec.decided_at = now
    rec.decision_reason = note
    rec.modified_detail = changed
    session.flush()
    return True


def _episode_for(session: Session, rec: Recommendation) -> Episode | None:
    return open_episode(session, rec.patient_id)


def new_plan_version(
    session: Session,
    episode: Episode,
    change: CarePlanChange,
    staff: Staff,
    now: datetime,
    recommendation: Recommendation | None = None,
) -> CarePlan:
    """Write the next care-plan version: the previous version's fields with ``change`` applied.

    Refused when nothing differs from the previous version or the summary is empty."""
    session.execute(select(Episode.id).where(Episode.id == episode.id).with_for_update())
    previous = session.scalar(
        select(CarePlan)
        .where(CarePlan.episode_id == episode.id)
        .order_by(CarePlan.version.desc())
        .limit(1)
    )
    values = {
        name: getattr(previous, name) if previous is not None else None
        for name in CarePlanChange.plan_fields()
    }
    changed = False
    for name in CarePlanChange.plan_fields():
        new = getattr(change, name)
        if new is None:
            continue
        new = new.strip() or None
        if new is not None and len(new) > MAX_TEXT:
            raise ReviewError(name, f"Keep this under {MAX_TEXT} characters.")
        if name == "goals" and new is None:
            raise ReviewError("goals", "A care plan keeps its goals; write them.")
        if new != ((values[name] or "").strip() or None):
            values[name] = new
            changed = True
    if not changed:
        raise ReviewError(
            "change_summary", "Nothing in the care plan differs from the current version."
        )
    summary = _text(
        change.summary, "change_summary", "Say in a line what changed and why.", required=True
    )
    latest = session.scalar(
        select(func.max(CarePlan.version)).where(CarePlan.episode_id == episode.id)
    )
    plan = CarePlan(
        episode_id=episode.id,
        version=(latest or 0) + 1,
        goals=values["goals"] or "",
        medications=values["medications"],
        skill_plan=values["skill_plan"],
        follow_up=values["follow_up"],
        safety_steps=values["safety_steps"],
        change_summary=summary,
        recommendation_id=recommendation.id if recommendation is not None else None,
        created_by_id=staff.id,
        created_at=now,
    )
    session.add(plan)
    session.flush()
    return plan


def communicate(
    session: Session,
    rec: Recommendation,
    staff: Staff,
    how: str,
    when: datetime | None,
    care_plan_change: CarePlanChange | None,
    now: datetime | None = None,
) -> tuple[bool, CarePlan | None]:
    """A care manager records that the decided recommendation was told to the patient: when,
    how, and the care-plan change it made (None: the plan did not change). Returns (closed now,
    the new care-plan version or None); (False, None) when it was already communicated."""
    now = now or utcnow()
    patient = session.get(Patient, rec.patient_id)
    if not holds_role(session, staff, patient.clinic_id, "care_manager"):
        raise NotAllowed("Only a care manager of the clinic closes the loop with the patient.")
    _lock(session, rec)
    if rec.status == "communicated":
        return False, None
    if rec.status == "proposed":
        raise ReviewError(None, "The treating clinician has not decided this recommendation yet.")
    if rec.status not in DECIDED_STATUSES:
        raise ReviewError(None, f"A {rec.status} recommendation is not told to the patient.")
    if how not in COMMUNICATION_WAYS:
        raise ReviewError("how", "Choose how the patient was told.")
    if when is None:
        raise ReviewError("when", "Enter when the patient was told.")
    if when > now + FUTURE_SLACK:
        raise ReviewError("when", "This time is in the future.")
    if rec.decided_at is not None and when < rec.decided_at - CLOCK_SLACK:
        raise ReviewError("when", "This is before the clinician decided; check the time.")
    plan = None
    if care_plan_change is not None:
        episode = _episode_for(session, rec)
        if episode is None:
            raise ReviewError(
                "change_summary", "The patient has no open episode, so there is no plan to change."
            )
        plan = new_plan_version(session, episode, care_plan_change, staff, now, rec)
    rec.status = "communicated"
    rec.communicated_by_id = staff.id
    rec.communicated_at = when
    rec.communicated_how = how
    session.flush()
    return True, plan
