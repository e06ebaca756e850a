"""The recommendation's states, who may make each move, and the care-plan version it makes."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from cocm import db
from cocm.models import CarePlan, Membership, Recommendation
from cocm.review.errors import NotAllowed, ReviewError
from cocm.review.recommendations import (
    CarePlanChange,
    approver_for,
    communicate,
    decide,
    may_decide,
)
from cocm.review.record import RecommendationInput, record_item
from tests.cocm.registry.builders import at
from tests.factories import ClinicFactory, staff_with_role

NOW = at("2026-03-16")


@pytest.fixture
def item(world):
    patient, episode = world.not_improving()
    return world.reviewed_on(patient, episode, "2026-03-11")


@pytest.fixture
def plan(world, item):
    plan = CarePlan(
        episode_id=item.episode_id,
        version=1,
        goals="Sleep better",
        medications="Sertraline 50 mg daily",
        skill_plan="Behavioral activation",
        follow_up="Every two weeks",
        safety_steps="Call 988",
        created_by_id=world.manager.id,
        created_at=at("2026-01-06"),
        signed_by_id=world.clinician.id,
        signed_at=at("2026-01-07"),
    )
    db.Session.add(plan)
    db.Session.flush()
    return plan


def _propose(world, item, *recs, by=None) -> list[Recommendation]:
    recs = recs or (RecommendationInput("medication", "Increase sertraline", "100 mg daily"),)
    staff = by or world.consultant
    return record_item(db.Session, item, staff, "Flat PHQ-9", 5, list(recs), NOW).added


def test_only_the_consultant_proposes(world, item):
    for someone in (world.manager, world.clinician, world.lead):
        with pytest.raises(NotAllowed):
            _propose(world, item, by=someone)
    (rec,) = _propose(world, item)
    assert (rec.status, rec.proposed_by_id, rec.clinician_id) == (
        "proposed",
        world.consultant.id,
        world.clinician.id,
    )


def test_the_patients_treating_clinician_decides(world, item):
    (rec,) = _propose(world, item)
    patient = item.patient
    assert approver_for(db.Session, patient).id == world.clinician.id
    assert not may_decide(db.Session, patient, world.other_clinician)
    for someone in (world.other_clinician, world.manager, world.consultant, world.lead):
        with pytest.raises(NotAllowed, match="Only Dr. Patel decides"):
            decide(db.Session, rec, someone, "approve", now=NOW)
    assert rec.status == "proposed"
    assert decide(db.Session, rec, world.clinician, "approve", now=NOW) is True
    assert (rec.status, rec.decided_by_id, rec.decided_at) == ("approved", world.clinician.id, NOW)


def test_without_a_treating_clinician_any_of_the_clinic_decides(world):
    patient, episode = world.patient(clinician=False)
    item = world.reviewed_on(patient, episode, "2026-03-11")
    (rec,) = _propose(world, item)
    assert rec.clinician_id is None and approver_for(db.Session, patient) is None
    elsewhere = staff_with_role(ClinicFactory(), "treating_clinician")
    with pytest.raises(NotAllowed, match="Any treating clinician"):
        decide(db.Session, rec, elsewhere, "approve", now=NOW)
    assert decide(db.Session, rec, world.other_clinician, "approve", now=NOW)


def test_a_clinician_who_left_the_clinic_hands_over_to_any(world, item):
    (rec,) = _propose(world, item)
    db.Session.query(Membership).filter_by(
        staff_id=world.clinician.id, role="treating_clinician"
    ).delete()
    db.Session.flush()
    db.Session.expire_all()
    assert approver_for(db.Session, item.patient) is None
    assert decide(db.Session, rec, world.other_clinician, "approve", now=NOW)


def test_decline_needs_a_reason_and_modify_the_new_text(world, item):
    first, second = _propose(
        world,
        item,
        RecommendationInput("therapy", "Group CBT"),
        RecommendationInput("labs", "TSH"),
    )
    with pytest.raises(ReviewError) as no_reason:
        decide(db.Session, first, world.clinician, "decline", reason="  ", now=NOW)
    assert no_reason.value.field == "reason"
    with pytest.raises(ReviewError) as no_text:
        decide(db.Session, second, world.clinician, "modify", now=NOW)
    assert no_text.value.field == "modified_detail"
    with pytest.raises(ReviewError) as unknown:
        decide(db.Session, second, world.clinician, "shrug", now=NOW)
    assert unknown.value.field == "action"
    assert decide(db.Session, first, world.clinician, "decline", reason="Works evenings", now=NOW)
    assert (first.status, first.decision_reason) == ("declined", "Works evenings")
    assert decide(
        db.Session, second, world.clinician, "modify", modified_detail="TSH and B12", now=NOW
    )
    assert (second.status, second.modified_detail) == ("modified", "TSH and B12")


def test_the_database_refuses_a_decline_without_reason(world, item):
    (rec,) = _propose(world, item)
    with pytest.raises(IntegrityError), db.Session.begin_nested():
        rec.status = "declined"
        db.Session.flush()


def test_a_decision_is_made_once(world, item):
    (rec,) = _propose(world, item)
    assert decide(db.Session, rec, world.clinician, "approve", now=NOW)
    assert decide(db.Session, rec, world.clinician, "approve", now=NOW) is False  # posted twice
    with pytest.raises(ReviewError, match="already approved"):
        decide(db.Session, rec, world.clinician, "decline", reason="changed my mind", now=NOW)


def test_care_manager_tells_the_patient_and_the_plan_gets_a_version(world, item, plan):
    (rec,) = _propose(world, item)
    told = NOW + timedelta(hours=3)
    with pytest.raises(ReviewError, match="not decided"):
        communicate(db.Session, rec, world.manager, "phone", told, None, now=told)
    decide(db.Session, rec, world.clinician, "approve", now=NOW + timedelta(hours=1))
    for someone in (world.clinician, world.consultant, world.lead):
        with pytest.raises(NotAllowed):
            communicate(db.Session, rec, someone, "phone", told, None, now=told)
    change = CarePlanChange(
        summary="Sertraline up to 100 mg after case review",
        medications="Sertraline 100 mg daily",
        goals="Sleep better",  # unchanged text: kept
    )
    closed, new = communicate(db.Session, rec, world.manager, "phone", told, change, now=told)
    assert closed and rec.status == "communicated"
    assert (rec.communicated_by_id, rec.communicated_at, rec.communicated_how) == (
        world.manager.id,
        told,
        "phone",
    )
    assert (new.version, new.recommendation_id, new.created_by_id) == (2, rec.id, world.manager.id)
    assert new.medications == "Sertraline 100 mg daily"
    assert (new.goals, new.skill_plan, new.follow_up, new.safety_steps) == (
        plan.goals,
        plan.skill_plan,
        plan.follow_up,
        plan.safety_steps,
    )
    assert new.signed_at is None  # awaits the clinician's sign-off
    again = communicate(db.Session, rec, world.manager, "phone", told, change, now=told)
    assert again == (False, None)  # posted twice: no second version
    count = select(func.count()).select_from(CarePlan).where(CarePlan.episode_id == item.episode_id)
    assert db.Session.scalar(count) == 2


def test_communicating_checks_its_input(world, item, plan):
    (rec,) = _propose(world, item)
    decided = NOW + timedelta(hours=1)
    decide(db.Session, rec, world.clinician, "approve", now=decided)
    later = NOW + timedelta(hours=5)
    cases = [
        (("fax", later, None), "how"),
        (("phone", None, None), "when"),
        (("phone", later + timedelta(hours=1), None), "when"),  # in the future
        (("phone", decided - timedelta(hours=1), None), "when"),  # before the decision
        (("phone", later, CarePlanChange(summary="x", medications=plan.medications)), None),
        (("phone", later, CarePlanChange(summary=" ", medications="Other")), "change_summary"),
        (("phone", later, CarePlanChange(summary="x", goals="")), "goals"),
    ]
    for (how, when, change), field in cases:
        with pytest.raises(ReviewError) as error:
            communicate(db.Session, rec, world.manager, how, when, change, now=later)
        assert error.value.field == (field or "change_summary"), (how, when, change)
    assert rec.status == "approved"


def test_declined_and_communicated_are_final(world, item):
    (rec,) = _propose(world, item)
    decide(db.Session, rec, world.clinician, "decline", reason="No", now=NOW)
    with pytest.raises(ReviewError, match="declined"):
        communicate(db.Session, rec, world.manager, "phone", NOW, None, now=NOW)
    with pytest.raises(ReviewError, match="already declined"):
        decide(db.Session, rec, world.clinician, "approve", now=NOW)


def test_a_modified_recommendation_is_told_too(world, item):
    (rec,) = _propose(world, item)
    decide(db.Session, rec, world.clinician, "modify", modified_detail="75 mg first", now=NOW)
    closed, plan = communicate(db.Session, rec, world.manager, "video", NOW, None, now=NOW)
    assert closed and plan is None and rec.status == "communicated"
    assert rec.modified_detail == "75 mg first"
