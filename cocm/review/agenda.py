"""The case-review agenda, built by the registry itself.

Sections, in this order (``REASONS``):

1. ``new``: the registry's *new* flag (enrolled under 4 weeks, not yet reviewed);
2. ``not_improving``: the registry's *not improving* flag (DESIGN 4, treat to target);
3. ``medication_question``: questions care managers raised (``add_patient``), with those not
   reached at the previous review carried over;
4. ``risk``: the registry's *risk* flag (an open urgent item or a risk signal in 14 days);
5. ``no_psychiatric_review``: the registry's *no psychiatric review in 60 days* flag;
6. ``follow_up``: patients with recommendations from earlier reviews still open (the overdue
   ones are marked on the agenda);
7. ``added``: other patients care managers added, with those not reached carried over.

The flags come from ``cocm.registry.registry_rows`` for the clinic, never re-derived, so the
registry and the agenda cannot disagree. A patient appears once, under the first reason that
applies; the other reasons are noted. Positions are numbered per section (section index x 1000 +
order), so re-running the build adds new patients at the end of their section and never moves
anyone already on the agenda.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from cocm.episodes.service import holds_role, open_episode
from cocm.models import CaseReview, CaseReviewItem, Patient, Recommendation, Staff
from cocm.models.enums import REVIEW_REASONS
from cocm.registry.service import RegistryFilters, registry_rows
from cocm.review.errors import NotAllowed, ReviewError
from cocm.review.overdue import OPEN_STATUSES

REASONS = REVIEW_REASONS
REASON_LABELS = {
    "new": "New enrollment, not yet reviewed",
    "not_improving": "Not improving",
    "medication_question": "Medication question",
    "risk": "Risk flag",
    "no_psychiatric_review": "No psychiatric review in 60 days",
    "follow_up": "Open follow-up from an earlier review",
    "added": "Added by the care team",
}
# Agenda reason -> the registry flag it is read from.
FLAG_OF = {
    "new": "new",
    "not_improving": "not_improving",
    "risk": "risk",
    "no_psychiatric_review": "no_psych_review",
}
ADDABLE = ("medication_question", "added")
CARRIED = ADDABLE
SECTION = 1000
MAX_NOTE = 1000


def section_of(position: int) -> int:
    return position // SECTION


def _lock(session: Session, review: CaseReview) -> None:
    # Two builds (or a build and an addition) of one agenda run one after the other.
    session.execute(select(CaseReview.id).where(CaseReview.id == review.id).with_for_update())


@dataclass
class _Candidate:
    reason: str
    patient_id: int
    episode_id: int | None
    note: str | None


def _open_follow_ups(session: Session, review: CaseReview) -> list[_Candidate]:
    """Patients with recommendations from this clinic's earlier reviews not yet closed, the
    oldest open recommendation first (one statement)."""
    query = (
        select(
            Recommendation.patient_id,
            func.min(Recommendation.created_at).label("oldest"),
            func.count(Recommendation.id).label("open_count"),
            func.max(CaseReviewItem.episode_id).label("episode_id"),
        )
        .join(CaseReviewItem, CaseReviewItem.id == Recommendation.review_item_id)
        .join(CaseReview, CaseReview.id == CaseReviewItem.review_id)
        .where(
            CaseReview.clinic_id == review.clinic_id,
            CaseReview.scheduled_for < review.scheduled_for,
            Recommendation.status.in_(OPEN_STATUSES),
        )
        .group_by(Recommendation.patient_id)
        .order_by(func.min(Recommendation.created_at), Recommendation.patient_id)
    )
    return [
        _Candidate(
            "follow_up",
            row.patient_id,
            row.episode_id,
            f"{row.open_count} open recommendation{'s' if row.open_count != 1 else ''} "
            "from earlier reviews",
        )
        for row in session.execute(query)
    ]


def _carried_over(session: Session, review: CaseReview) -> list[_Candidate]:
    """Care managers' questions not reached at the clinic's previous review (one statement)."""
    previous = (
        select(CaseReview.id)
        .where(
            CaseReview.clinic_id == review.clinic_id,
            CaseReview.scheduled_for < review.scheduled_for,
        )
        .order_by(CaseReview.scheduled_for.desc())
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        select(CaseReviewItem, CaseReview.scheduled_for)
        .join(CaseReview, CaseReview.id == CaseReviewItem.review_id)
        .where(
            CaseReviewItem.review_id == previous,
            CaseReviewItem.reviewed_at.is_(None),
            CaseReviewItem.reason.in_(CARRIED),
        )
        .order_by(CaseReviewItem.position)
    )
    return [
        _Candidate(
            item.reason,
            item.patient_id,
            item.episode_id,
            f"Not reached on {when:%Y-%m-%d}: {item.reason_note or ''}".strip(),
        )
        for item, when in rows
    ]


def candidates(session: Session, review: CaseReview, today: date) -> list[_Candidate]:
    """Everyone who belongs on the agenda, in section order, a patient possibly more than once."""
    rows = registry_rows(
        session, {review.clinic_id}, RegistryFilters(clinic_id=review.clinic_id), today
    )
    carried = _carried_over(session, review)
    follow_ups = _open_follow_ups(session, review)
    found: list[_Candidate] = []
    for reason in REASONS:
        if reason in FLAG_OF:
            flag = FLAG_OF[reason]
            found.extend(
                _Candidate(reason, r.patient_id, r.episode_id, r.flags[flag])
                for r in rows
                if flag in r.flags
            )
        elif reason == "follow_up":
            found.extend(follow_ups)
        else:
            found.extend(c for c in carried if c.reason == reason)
    return found


def _next_positions(session: Session, review_id: int) -> dict[int, int]:
    """Per section, the next free position (one statement)."""
    nexts: dict[int, int] = {}
    for position in session.scalars(
        select(CaseReviewItem.position).where(CaseReviewItem.review_id == review_id)
    ):
        section = section_of(position)
        nexts[section] = max(nexts.get(section, 0), position + 1)
    return nexts


def build_agenda(session: Session, review: CaseReview, today: date) -> list[CaseReviewItem]:
    """Add everyone the registry and earlier reviews put on the agenda who is not on it yet;
    return the items added (none on a second run). Items already there keep their place.

    ``today`` is the clinic's local date. A finished review is left as it is.
    """
    if review.status == "done":
        return []
    _lock(session, review)
    on_agenda = set(
        session.scalars(
            select(CaseReviewItem.patient_id).where(CaseReviewItem.review_id == review.id)
        )
    )
    chosen: dict[int, _Candidate] = {}
    also: dict[int, list[str]] = {}
    for c in candidates(session, review, today):
        if c.patient_id in on_agenda:
            continue
        if c.patient_id in chosen:
            if c.reason != chosen[c.patient_id].reason and c.reason not in also[c.patient_id]:
                also[c.patient_id].append(c.reason)
            continue
        chosen[c.patient_id] = c
        also[c.patient_id] = []
    nexts = _next_positions(session, review.id)
    rows = []
    for patient_id, c in chosen.items():
        index = REASONS.index(c.reason)
        position = nexts.get(index, index * SECTION)
        nexts[index] = position + 1
        note = c.note or ""
        if also[patient_id]:
            others = ", ".join(REASON_LABELS[r].lower() for r in also[patient_id])
            note = f"{note} · also: {others}" if note else f"Also: {others}"
        rows.append(
            {
                "review_id": review.id,
                "patient_id": patient_id,
                "episode_id": c.episode_id,
                "reason": c.reason,
                "reason_note": note[:MAX_NOTE] or None,
                "position": position,
            }
        )
    if not rows:
        return []
    # One executemany, then one read back: the statement count stays flat however many join.
    session.execute(insert(CaseReviewItem), rows)
    session.expire(review, ["items"])
    return list(
        session.scalars(
            select(CaseReviewItem)
            .where(
                CaseReviewItem.review_id == review.id,
                CaseReviewItem.patient_id.in_(list(chosen)),
            )
            .order_by(CaseReviewItem.position)
        )
    )


def add_patient(
    session: Session,
    review: CaseReview,
    patient: Patient,
    staff: Staff,
    reason: str,
    note: str | None,
    now: datetime,
) -> tuple[CaseReviewItem, bool]:
    """A care manager puts a patient on the agenda with a reason (a medication question or
    anything else). Returns (item, created); a patient already on the agenda keeps their place
    and gets the note added to theirs."""
    if not holds_role(session, staff, review.clinic_id, "care_manager"):
        raise NotAllowed("Only a care manager of the clinic adds patients to the agenda.")
    if review.status == "done":
        raise ReviewError(None, "This review is finished; add the patient to the next one.")
    if patient.clinic_id != review.clinic_id:
        raise ReviewError("mrn", "No patient with this MRN in this clinic.")
    if reason not in ADDABLE:
        raise ReviewError("reason", "Choose why the patient should be discussed.")
    text = (note or "").strip()
    if not text:
        raise ReviewError("note", "Write the question or reason for the consultant.")
    if len(text) > MAX_NOTE:
        raise ReviewError("note", f"Keep this under {MAX_NOTE} characters.")
    _lock(session, review)
    existing = session.scalar(
        select(CaseReviewItem).where(
            CaseReviewItem.review_id == review.id, CaseReviewItem.patient_id == patient.id
        )
    )
    if existing is not None:
        if text not in (existing.reason_note or ""):
            existing.reason_note = (
                f"{existing.reason_note} · {text}" if existing.reason_note else text
            )[: MAX_NOTE * 2]
            session.flush()
        return existing, False
    index = REASONS.index(reason)
    position = _next_positions(session, review.id).get(index, index * SECTION)
    episode = open_episode(session, patient.id)
    item = CaseReviewItem(
        review_id=review.id,
        patient_id=patient.id,
        episode_id=episode.id if episode is not None else None,
        reason=reason,
        reason_note=text,
        position=position,
        added_by_id=staff.id,
    )
    session.add(item)
    session.flush()
    return item, True
