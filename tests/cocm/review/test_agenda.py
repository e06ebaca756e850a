"""The agenda: each reason, their order, one row per patient, idempotent re-runs, agreement with
the registry, care managers' additions, and a statement count that does not grow."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from cocm import db
from cocm.models import CaseReview, CaseReviewItem
from cocm.registry import RegistryFilters, registry_rows
from cocm.review.agenda import REASONS, SECTION, add_patient, build_agenda
from cocm.review.errors import NotAllowed, ReviewError
from cocm.review.schedule import ensure_upcoming_review, finish_review
from tests.cocm.registry.builders import at, count_statements, queue_item
from tests.cocm.review.helpers import TODAY
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory

pytestmark = pytest.mark.usefixtures("clock")


def _upcoming(world) -> CaseReview:
    return ensure_upcoming_review(db.Session, world.clinic, datetime.now(UTC))


def _agenda(review) -> list[tuple[str, int]]:
    items = db.Session.scalars(
        select(CaseReviewItem)
        .where(CaseReviewItem.review_id == review.id)
        .order_by(CaseReviewItem.position)
    )
    return [(i.reason, i.patient_id) for i in items]


def test_each_reason_in_its_order(world):
    review = _upcoming(world)
    # Built in reverse so that creation order cannot explain the agenda's order.
    added_patient, _ = world.calm()
    follow_up, _, _ = world.with_open_recommendation()
    unreviewed, _ = world.unreviewed()
    risky, _ = world.at_risk()
    question, _ = world.calm()
    stalled, _ = world.not_improving()
    new, _ = world.new()
    world.calm()  # nothing to discuss: stays off the agenda
    add_patient(
        db.Session,
        review,
        question,
        world.manager,
        "medication_question",
        "Dose at night?",
        at("2026-03-16"),
    )
    add_patient(
        db.Session, review, added_patient, world.manager, "added", "Moving away", at("2026-03-16")
    )
    build_agenda(db.Session, review, TODAY)
    assert _agenda(review) == [
        ("new", new.id),
        ("not_improving", stalled.id),
        ("medication_question", question.id),
        ("risk", risky.id),
        ("no_psychiatric_review", unreviewed.id),
        ("follow_up", follow_up.id),
        ("added", added_patient.id),
    ]
    assert [r for r, _ in _agenda(review)] == list(REASONS)
    notes = {i.reason: i.reason_note for i in review.items}
    assert notes["new"] == "Enrolled 7 days ago, not yet reviewed"
    assert notes["not_improving"].startswith("PHQ-9 16 → 15")
    assert notes["follow_up"] == "1 open recommendation from earlier reviews"
    assert notes["medication_question"] == "Dose at night?"


def test_a_patient_appears_once_under_the_first_reason(world):
    review = _upcoming(world)
    patient, _ = world.not_improving()
    queue_item(patient, at("2026-03-15"), kind="risk_words")  # also at risk
    world.recommendation(
        db.Session.scalars(
            select(CaseReviewItem).where(CaseReviewItem.patient_id == patient.id)
        ).one(),
        status="approved",
    )
    build_agenda(db.Session, review, TODAY)
    assert _agenda(review) == [("not_improving", patient.id)]
    note = review.items[0].reason_note
    assert "also: risk flag, open follow-up from an earlier review" in note


def test_rebuilding_adds_only_new_patients_and_keeps_positions(world):
    review = _upcoming(world)
    first, _ = world.not_improving()
    second, _ = world.not_improving()
    risky, _ = world.at_risk()
    assert len(build_agenda(db.Session, review, TODAY)) == 3
    before = {i.patient_id: i.position for i in review.items}
    assert build_agenda(db.Session, review, TODAY) == []  # a second run adds nothing
    late, _ = world.not_improving()
    newcomer, _ = world.new()
    added = build_agenda(db.Session, review, TODAY)
    assert {i.patient_id for i in added} == {late.id, newcomer.id}
    db.Session.expire_all()
    after = {i.patient_id: i.position for i in _reload(review).items}
    assert all(after[p] == before[p] for p in before)  # nobody moved
    # The late patient joins the end of their own section, before the risk section.
    assert after[late.id] == max(after[first.id], after[second.id]) + 1
    assert after[late.id] < after[risky.id]
    assert after[newcomer.id] < after[first.id]
    assert [p for _, p in _agenda(review)].count(first.id) == 1


def _reload(review):
    return db.Session.get(CaseReview, review.id)


def test_agenda_agrees_with_the_registry_flags(world):
    review = _upcoming(world)
    for build in (world.new, world.not_improving, world.at_risk, world.unreviewed, world.calm):
        build()
        build()
    build_agenda(db.Session, review, TODAY)
    rows = registry_rows(db.Session, {world.clinic.id}, RegistryFilters(), TODAY)
    flagged = {
        r.patient_id
        for r in rows
        if {"new", "not_improving", "risk", "no_psych_review"} & set(r.flags)
    }
    assert {p for _, p in _agenda(review)} == flagged
    assert len(flagged) == 8


def test_care_manager_questions_not_reached_carry_over(world, clock):
    review = _upcoming(world)
    patient, _ = world.calm()
    add_patient(
        db.Session,
        review,
        patient,
        world.manager,
        "medication_question",
        "Side effects?",
        at("2026-03-16"),
    )
    finish_review(db.Session, review, world.consultant, at("2026-03-18", 18))
    clock.move_to("2026-03-19 15:00:00")
    following = _upcoming(world)
    assert following.id != review.id
    build_agenda(db.Session, following, TODAY.replace(day=19))
    item = following.items[0]
    assert (item.reason, item.patient_id) == ("medication_question", patient.id)
    assert item.reason_note == "Not reached on 2026-03-18: Side effects?"


def test_adding_a_patient_rules(world):
    review = _upcoming(world)
    patient, _ = world.calm()
    now = at("2026-03-16")
    with pytest.raises(NotAllowed):
        add_patient(db.Session, review, patient, world.consultant, "added", "why", now)
    with pytest.raises(ReviewError) as no_note:
        add_patient(db.Session, review, patient, world.manager, "added", "  ", now)
    assert no_note.value.field == "note"
    with pytest.raises(ReviewError) as bad_reason:
        add_patient(db.Session, review, patient, world.manager, "risk", "why", now)
    assert bad_reason.value.field == "reason"
    elsewhere = PatientFactory(clinic=ClinicFactory())
    with pytest.raises(ReviewError) as other_clinic:
        add_patient(db.Session, review, elsewhere, world.manager, "added", "why", now)
    assert other_clinic.value.field == "mrn"
    item, created = add_patient(db.Session, review, patient, world.manager, "added", "A", now)
    assert created and item.position == REASONS.index("added") * SECTION
    again, created = add_patient(db.Session, review, patient, world.manager, "added", "A", now)
    assert (again.id, created, again.reason_note) == (item.id, False, "A")  # posted twice
    _, created = add_patient(db.Session, review, patient, world.other_manager, "added", "B", now)
    assert not created and item.reason_note == "A · B"
    assert len(review.items) == 1


def test_a_finished_review_is_left_alone(world):
    review = _upcoming(world)
    world.not_improving()
    finish_review(db.Session, review, world.consultant, at("2026-03-18", 18))
    assert build_agenda(db.Session, review, TODAY) == []
    assert review.items == []


def test_statement_count_does_not_grow_with_patients(engine, world):
    review = _upcoming(world)

    def add(n):
        for _ in range(n):
            world.not_improving()
            world.new()
            world.with_open_recommendation()

    add(2)
    with count_statements(engine) as small:
        build_agenda(db.Session(), db.Session.get(CaseReview, review.id), TODAY)
    add(12)
    with count_statements(engine) as large:
        added = build_agenda(db.Session(), db.Session.get(CaseReview, review.id), TODAY)
    assert len(added) == 36
    assert len(small) == len(large)


def test_other_clinics_patients_never_join(world):
    review = _upcoming(world)
    other = ClinicFactory()
    EpisodeFactory(patient=PatientFactory(clinic=other), started_on=TODAY)  # new elsewhere
    world.new()
    build_agenda(db.Session, review, TODAY)
    assert len(review.items) == 1
