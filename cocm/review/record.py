"""What the psychiatric consultant records per patient at the review, and the minutes it took.

Minutes are time entries, never edited in place (``cocm.models.billing.TimeEntry``):

- the consultant's, role ``psychiatric_consultant``, activity ``psychiatric_consultation``:
  recorded and shown, never counted for billing (DESIGN 7);
- the patient's own care manager's, role ``care_manager``, activity ``case_review``, when that
  care manager is on the review's attendee list: presenting the patient at the consultant's
  caseload review is care-manager work, so these minutes count. Only the patient's own care
  manager gets them (another attending care manager did not work on this patient), so a
  patient's review minutes are counted once.

Each entry names its agenda item in its note; when the minutes, the consultant or the attendee
list change, the old entry is superseded by a new one (with 0 minutes when it no longer
applies), so the billing month and the audit trail follow.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.episodes.service import holds_role
from cocm.models import CaseReview, CaseReviewItem, Patient, Recommendation, Staff, TimeEntry
from cocm.models.enums import RECOMMENDATION_KINDS
from cocm.review.errors import NotAllowed, ReviewError
from cocm.review.recommendations import approver_for
from cocm.review.schedule import attend, attendee_ids

MAX_ASSESSMENT = 4000
MAX_DETAIL = 2000
MAX_DOSE = 120
MAX_MINUTES = 600
NO_CHANGE_TEXT = "No change to the current plan."
REVIEW_ACTIVITIES = ("psychiatric_consultation", "case_review")


@dataclass
class RecommendationInput:
    kind: str
    detail: str | None = None
    dose: str | None = None


@dataclass
class RecordResult:
    item: CaseReviewItem
    added: list[Recommendation]
    changed: bool


def _marker(item: CaseReviewItem) -> str:
    return f"(case review item {item.id})"


def _check(
    assessment: str | None, minutes: int | None, recs: list[RecommendationInput | None]
) -> tuple[str, int, list[tuple[int, RecommendationInput]]]:
    text = (assessment or "").strip()
    if not text:
        raise ReviewError("assessment", "Write a short assessment.")
    if len(text) > MAX_ASSESSMENT:
        raise ReviewError("assessment", f"Keep the assessment under {MAX_ASSESSMENT} characters.")
    if minutes is None:
        raise ReviewError("minutes", "Enter the minutes spent on this patient.")
    if not 1 <= minutes <= MAX_MINUTES:
        raise ReviewError("minutes", f"Minutes must be between 1 and {MAX_MINUTES}.")
    cleaned = []
    for index, rec in enumerate(recs):
        if rec is None or not (rec.kind or "").strip():
            if rec is not None and ((rec.detail or "").strip() or (rec.dose or "").strip()):
                raise ReviewError(f"recs-{index}-kind", "Choose the kind of recommendation.")
            continue
        if rec.kind not in RECOMMENDATION_KINDS:
            raise ReviewError(f"recs-{index}-kind", "Choose the kind of recommendation.")
        detail = (rec.detail or "").strip()
        dose = (rec.dose or "").strip() or None
        if rec.kind == "no_change":
            detail = detail or NO_CHANGE_TEXT
        elif not detail:
            raise ReviewError(f"recs-{index}-detail", "Write the recommendation.")
        if len(detail) > MAX_DETAIL:
            raise ReviewError(f"recs-{index}-detail", f"Keep this under {MAX_DETAIL} characters.")
        if rec.kind == "medication" and dose is None:
            raise ReviewError(f"recs-{index}-dose", "Give the dose (e.g. 50 mg once daily).")
        if dose is not None and rec.kind != "medication":
            raise ReviewError(f"recs-{index}-dose", "A dose goes with a medication only.")
        if dose is not None and len(dose) > MAX_DOSE:
            raise ReviewError(f"recs-{index}-dose", f"Keep the dose under {MAX_DOSE} characters.")
        cleaned.append((index, RecommendationInput(rec.kind, detail, dose)))
    return text, minutes, cleaned


def record_item(
    session: Session,
    item: CaseReviewItem,
    staff: Staff,
    assessment: str | None,
    minutes: int | None,
    recommendations: list[RecommendationInput | None],
    now: datetime,
) -> RecordResult:
    """The consultant's assessment, minutes and new recommendations for one agenda patient.

    Recording again updates the assessment and minutes and adds only recommendations not
    already made (a form posted twice adds nothing). A patient needs at least one
    recommendation ("no change" is one). Recording on a planned review starts it.
    """
    review = session.get(CaseReview, item.review_id)
    if not holds_role(session, staff, review.clinic_id, "psychiatric_consultant"):
        raise NotAllowed("Only the clinic's psychiatric consultant records the review.")
    text, minutes, recs = _check(assessment, minutes, recommendations)
    session.execute(select(CaseReviewItem.id).where(CaseReviewItem.id == item.id).with_for_update())
    existing = list(
        session.scalars(select(Recommendation).where(Recommendation.review_item_id == item.id))
    )
    made = {(r.kind, r.detail, r.dose) for r in existing}
    if not existing and not recs:
        raise ReviewError(
            "recs-0-kind",
            "Add at least one recommendation (choose 'No change' if nothing should change).",
        )
    changed = item.assessment != text or item.minutes != minutes
    item.assessment = text
    item.minutes = minutes
    if item.reviewed_at is None:
        item.reviewed_at = now
        changed = True
    if review.status == "planned":
        review.status = "in_progress"
    if review.consultant_id is None:
        review.consultant_id = staff.id
    attend(session, review, staff.id)
    patient = session.get(Patient, item.patient_id)
    approver = approver_for(session, patient)
    added = []
    for _, rec in recs:
        key = (rec.kind, rec.detail, rec.dose)
        if key in made:
            continue
        made.add(key)
        added.append(
            Recommendation(
                review_item_id=item.id,
                patient_id=item.patient_id,
                kind=rec.kind,
                detail=rec.detail,
                dose=rec.dose,
                status="proposed",
                proposed_by_id=staff.id,
                clinician_id=approver.id if approver is not None else None,
                created_at=now,
            )
        )
    session.add_all(added)
    session.flush()
    sync_time(session, item, review, patient, staff.id, now)
    return RecordResult(item=item, added=added, changed=changed or bool(added))


def _performed_on(review: CaseReview, zone: str, now: datetime):
    moment = min(review.scheduled_for, now)
    return moment.astimezone(ZoneInfo(zone)).date()


def sync_time(
    session: Session,
    item: CaseReviewItem,
    review: CaseReview,
    patient: Patient,
    consultant_id: int | None,
    now: datetime,
) -> int:
    """Make the item's live time entries match what it should have; returns entries written."""
    live = list(
        session.scalars(
            select(TimeEntry).where(
                TimeEntry.patient_id == item.patient_id,
                TimeEntry.activity.in_(REVIEW_ACTIVITIES),
                TimeEntry.superseded_by_id.is_(None),
                TimeEntry.note.endswith(_marker(item)),
            )
        )
    )
    # Without a new recorder, the minutes stay with the consultant who recorded the item.
    consultant_id = (
        consultant_id
        or next((e.staff_id for e in live if e.role == "psychiatric_consultant"), None)
        or review.consultant_id
    )
    wanted: dict[tuple[int, str, str], int] = {}
    if item.minutes and consultant_id is not None:
        wanted[(consultant_id, "psychiatric_consultant", "psychiatric_consultation")] = item.minutes
        manager_id = patient.care_manager_id
        if manager_id is not None and manager_id in attendee_ids(session, review.id):
            wanted[(manager_id, "care_manager", "case_review")] = item.minutes
    day = _performed_on(review, patient.clinic.timezone, now)
    note = f"Case review {day:%Y-%m-%d} {_marker(item)}"
    written = 0
    kept: set[tuple[int, str, str]] = set()
    for entry in live:
        key = (entry.staff_id, entry.role, entry.activity)
        if wanted.get(key) == entry.minutes and key not in kept:
            kept.add(key)
            continue
        minutes = wanted.get(key, 0) if key not in kept else 0
        replacement = _entry(item, key, minutes, day, note, now)
        replacement.correction_reason = (
            "Minutes changed at case review" if minutes else "No longer applies to this review"
        )
        session.add(replacement)
        session.flush()
        entry.superseded_by_id = replacement.id
        written += 1
        if minutes:
            kept.add(key)
    for key, minutes in wanted.items():
        if key not in kept:
            session.add(_entry(item, key, minutes, day, note, now))
            written += 1
    session.flush()
    return written


def _entry(item, key, minutes, day, note, now) -> TimeEntry:
    staff_id, role, activity = key
    return TimeEntry(
        patient_id=item.patient_id,
        episode_id=item.episode_id,
        staff_id=staff_id,
        role=role,
        activity=activity,
        performed_on=day,
        minutes=minutes,
        note=note,
        created_at=now,
    )


def sync_review_time(session: Session, review: CaseReview, now: datetime) -> int:
    """After the attendee list changed: the care-manager minutes of every patient discussed."""
    items = list(
        session.scalars(
            select(CaseReviewItem).where(
                CaseReviewItem.review_id == review.id, CaseReviewItem.minutes.is_not(None)
            )
        )
    )
    written = 0
    for item in items:
        patient = session.get(Patient, item.patient_id)
        written += sync_time(session, item, review, patient, None, now)
    return written
