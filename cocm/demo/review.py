"""Demo case reviews: eight weeks of past weekly reviews, a few recommendations caught at every
step of the loop, and the upcoming review with the agenda the registry builds.

Built through the same services the pages use (``cocm.review``), with the clock passed in, so
the demo's trail is exactly what running the review by hand leaves behind:

- every patient enrolled long enough was discussed at one of the last eight reviews, with a
  "no change" recommendation approved and told to the patient;
- two weeks ago, a medication change approved, told to the patient and written into a signed
  care-plan version, and a therapy idea declined with a reason; a referral approved and never
  told to the patient (now overdue);
- last week, a medication change and a lab order waiting in the treating clinician's inbox
  (approve one, decline the other), and safety steps approved with changes waiting for the care
  manager to close the loop;
- the upcoming review with its generated agenda and a care manager's medication question.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.episodes.service import sign_care_plan
from cocm.models import CarePlan, CaseReview, CaseReviewItem, Clinic, Membership, Patient, Staff
from cocm.registry.service import RegistryFilters, registry_rows
from cocm.review.agenda import REASONS, SECTION, add_patient, build_agenda
from cocm.review.recommendations import CarePlanChange, communicate, decide
from cocm.review.record import RecommendationInput, record_item
from cocm.review.schedule import (
    get_or_create_review,
    next_slot_day,
    set_attendees,
    slot_on,
)

WEEKS = 8
ROUTINE = "Improving as expected; tolerating the current plan. Continue and keep measuring."
SLOW = "Not at target yet; adherence only became steady recently. Same dose four more weeks."
STALLED = "Little change since baseline despite adherence. Treat to target: adjust the plan."


def _team(session: Session, clinic: Clinic) -> dict[str, list[Staff]]:
    team: dict[str, list[Staff]] = {}
    rows = session.execute(
        select(Membership.role, Staff)
        .join(Staff, Staff.id == Membership.staff_id)
        .where(Membership.clinic_id == clinic.id)
        .order_by(Staff.id)
    )
    for role, staff in rows:
        team.setdefault(role, []).append(staff)
    return team


def _item(session, review, patient_id, episode_id, reason, counters) -> CaseReviewItem:
    index = REASONS.index(reason)
    counters[index] = counters.get(index, -1) + 1
    item = CaseReviewItem(
        review_id=review.id,
        patient_id=patient_id,
        episode_id=episode_id,
        reason=reason,
        position=index * SECTION + counters[index],
    )
    session.add(item)
    session.flush()
    return item


def _close_routine(session, item, consultant, clinician, manager, when, text) -> None:
    result = record_item(
        session,
        item,
        consultant,
        text,
        3,
        [RecommendationInput("no_change")],
        when,
    )
    for rec in result.added:
        decide(session, rec, clinician, "approve", now=when + timedelta(hours=20))
        communicate(
            session,
            rec,
            manager,
            "phone",
            when + timedelta(days=2),
            None,
            now=when + timedelta(days=2),
        )


def _plan(session, episode_id) -> CarePlan | None:
    return session.scalar(
        select(CarePlan)
        .where(CarePlan.episode_id == episode_id)
        .order_by(CarePlan.version.desc())
        .limit(1)
    )


def _story_two_weeks_ago(session, items, consultant, clinician, manager, when) -> None:
    """A medication change through to a signed plan, a declined idea, a referral left open."""
    if items:
        item = items[0]
        plan = _plan(session, item.episode_id)
        on_sertraline = plan is not None and "sertraline" in (plan.medications or "").lower()
        dose = "100 mg once daily" if on_sertraline else "50 mg once daily"
        result = record_item(
            session,
            item,
            consultant,
            STALLED + " PHQ-9 flat at 10+ weeks.",
            6,
            [
                RecommendationInput(
                    "medication",
                    "Increase sertraline" if on_sertraline else "Start sertraline",
                    dose,
                ),
                RecommendationInput("therapy", "Add weekly group CBT"),
            ],
            when,
        )
        medication, therapy = result.added
        decide(session, medication, clinician, "approve", now=when + timedelta(hours=20))
        decide(
            session,
            therapy,
            clinician,
            "decline",
            reason="Patient works evenings; groups are daytime only. Revisit next month.",
            now=when + timedelta(hours=20),
        )
        told = when + timedelta(days=1, hours=2)
        _, new_plan = communicate(
            session,
            medication,
            manager,
            "phone",
            told,
            CarePlanChange(
                summary=f"Sertraline {dose} after case review; recheck PHQ-9 in two weeks.",
                medications=f"Sertraline {dose}",
                follow_up="Phone check-in weekly for four weeks, then every two weeks.",
            ),
            now=told,
        )
        if new_plan is not None:
            sign_care_plan(session, new_plan, clinician, told + timedelta(hours=5))
    if len(items) > 1:
        result = record_item(
            session,
            items[1],
            consultant,
            STALLED + " Would benefit from structured psychotherapy.",
            5,
            [RecommendationInput("referral", "Refer to Riverside Counseling for individual CBT")],
            when,
        )
        decide(session, result.added[0], clinician, "approve", now=when + timedelta(days=1))


def _story_last_week(session, items, consultant, clinician, when) -> None:
    """Two recommendations waiting for the clinician, one approved with changes to tell."""
    if items:
        record_item(
            session,
            items[0],
            consultant,
            STALLED + " Partial response on the current medicine; sleep still poor.",
            6,
            [RecommendationInput("medication", "Add bupropion XL", "150 mg every morning")],
            when,
        )
    if len(items) > 1:
        record_item(
            session,
            items[1],
            consultant,
            "Fatigue out of proportion to mood scores.",
            4,
            [RecommendationInput("labs", "Check TSH, B12 and vitamin D")],
            when,
        )
    if len(items) > 2:
        result = record_item(
            session,
            items[2],
            consultant,
            "Passive thoughts of death last month, none since; plan needs updating.",
            7,
            [RecommendationInput("safety", "Review the safety plan with the patient")],
            when,
        )
        decide(
            session,
            result.added[0],
            clinician,
            "modify",
            modified_detail="Review the safety plan and ask family to lock up medicines.",
            now=when + timedelta(hours=22),
        )


def _seed_clinic(session: Session, clinic: Clinic, now: datetime) -> None:
    team = _team(session, clinic)
    consultants = team.get("psychiatric_consultant", [])
    clinicians = team.get("treating_clinician", [])
    managers = team.get("care_manager", [])
    upcoming_day = next_slot_day(clinic, now)
    if not (consultants and clinicians and managers) or upcoming_day is None:
        return
    consultant, clinician = consultants[0], clinicians[0]
    today = now.astimezone(ZoneInfo(clinic.timezone)).date()
    rows = registry_rows(session, {clinic.id}, RegistryFilters(clinic_id=clinic.id), today)
    patients = {
        p.id: p
        for p in session.scalars(
            select(Patient).where(Patient.id.in_([r.patient_id for r in rows]))
        )
    }
    stalled = [r for r in rows if "not_improving" in r.flags]
    story = {r.patient_id for r in stalled[:5]}
    attendees = [consultant.id, clinician.id, *(m.id for m in managers)]
    reviews: dict[int, tuple[CaseReview, list[CaseReviewItem]]] = {}
    for week in range(WEEKS, 0, -1):
        day = upcoming_day - timedelta(days=7 * week)
        review = get_or_create_review(session, clinic, slot_on(clinic, day))
        set_attendees(session, review, attendees, consultant, slot_on(clinic, day))
        reviews[week] = (review, [])
    counters: dict[int, dict[int, int]] = {week: {} for week in reviews}
    routine = [r for r in rows if r.patient_id not in story]
    for index, row in enumerate(routine):
        weeks = [
            w
            for w in reviews
            if row.enrolled_on + timedelta(days=3) <= upcoming_day - timedelta(days=7 * w) and w > 2
        ]
        if not weeks:
            continue  # enrolled recently: new on the upcoming agenda
        week = weeks[index % len(weeks)]
        review, _ = reviews[week]
        reason = "not_improving" if "not_improving" in row.flags else "no_psychiatric_review"
        item = _item(session, review, row.patient_id, row.episode_id, reason, counters[week])
        manager = patients[row.patient_id].care_manager or managers[0]
        text = SLOW if reason == "not_improving" else ROUTINE
        _close_routine(session, item, consultant, clinician, manager, review.scheduled_for, text)
    for week, rows_for_story in ((2, stalled[:2]), (1, stalled[2:5])):
        review, items = reviews[week]
        for row in rows_for_story:
            items.append(
                _item(
                    session, review, row.patient_id, row.episode_id, "not_improving", counters[week]
                )
            )
    older, older_items = reviews[2]
    manager = managers[0]
    _story_two_weeks_ago(session, older_items, consultant, clinician, manager, older.scheduled_for)
    last, last_items = reviews[1]
    _story_last_week(session, last_items, consultant, clinician, last.scheduled_for)
    for review, _ in reviews.values():
        review.status = "done"
        review.consultant_id = consultant.id
    session.flush()
    upcoming = get_or_create_review(session, clinic, slot_on(clinic, upcoming_day))
    build_agenda(session, upcoming, today)
    on_agenda = {i.patient_id for i in upcoming.items}
    asking = next((r for r in rows if r.patient_id not in on_agenda), None)
    if asking is not None:
        patient = patients[asking.patient_id]
        add_patient(
            session,
            upcoming,
            patient,
            patient.care_manager or managers[0],
            "medication_question",
            "Asks whether to keep taking sertraline while pregnant; planning for next year.",
            now,
        )


def seed_case_review(session: Session, now: datetime) -> bool:
    """Seed the demo clinics' case reviews; False (nothing added) when a clinic has any."""
    clinics = list(session.scalars(select(Clinic).order_by(Clinic.id)))
    if not clinics or session.scalar(select(CaseReview.id).limit(1)) is not None:
        return False
    for clinic in clinics:
        _seed_clinic(session, clinic, now)
    session.flush()
    return True
