"""What the consultant records, and the minutes it writes: the consultant's never counted, the
attending care manager's counted, corrections as superseding entries."""

import pytest
from sqlalchemy import select

from cocm import db
from cocm.billing import billing_month
from cocm.models import Recommendation, TimeEntry
from cocm.review.errors import ReviewError
from cocm.review.record import RecommendationInput, record_item
from cocm.review.schedule import ensure_upcoming_review, set_attendees, start_review
from tests.cocm.registry.builders import at

pytestmark = pytest.mark.usefixtures("clock")
NOW = at("2026-03-18", 17)


@pytest.fixture
def review(world):
    return ensure_upcoming_review(db.Session, world.clinic, at("2026-03-16"))


@pytest.fixture
def item(world, review):
    from cocm.review.agenda import build_agenda

    world.not_improving()
    (item,) = build_agenda(db.Session, review, at("2026-03-16").date())
    return item


def _live(patient_id):
    return {
        (e.role, e.activity, e.minutes)
        for e in db.Session.scalars(
            select(TimeEntry).where(
                TimeEntry.patient_id == patient_id, TimeEntry.superseded_by_id.is_(None)
            )
        )
    }


def _record(world, item, minutes=8, recs=None, text="Flat PHQ-9; increase dose"):
    recs = recs if recs is not None else [RecommendationInput("no_change")]
    return record_item(db.Session, item, world.consultant, text, minutes, recs, NOW)


def test_recording_starts_the_review_and_marks_the_patient_reviewed(world, review, item):
    result = _record(world, item)
    assert review.status == "in_progress" and review.consultant_id == world.consultant.id
    assert item.reviewed_at == NOW and item.minutes == 8
    (rec,) = result.added
    assert (rec.kind, rec.detail, rec.dose) == ("no_change", "No change to the current plan.", None)


def test_consultant_minutes_are_recorded_but_never_counted(world, review, item):
    _record(world, item)
    assert _live(item.patient_id) == {("psychiatric_consultant", "psychiatric_consultation", 8)}
    rows = billing_month(db.Session, world.clinic.id, 2026, 3)
    assert next(r for r in rows if r.episode_id == item.episode_id).minutes == 0


def test_the_attending_care_manager_gets_counted_case_review_time(world, review, item):
    set_attendees(db.Session, review, [world.consultant.id, world.manager.id], world.manager, NOW)
    _record(world, item)
    assert _live(item.patient_id) == {
        ("psychiatric_consultant", "psychiatric_consultation", 8),
        ("care_manager", "case_review", 8),
    }
    rows = billing_month(db.Session, world.clinic.id, 2026, 3)
    assert next(r for r in rows if r.episode_id == item.episode_id).minutes == 8
    # Another care manager attending does not add time for a patient who is not theirs.
    set_attendees(
        db.Session,
        review,
        [world.consultant.id, world.manager.id, world.other_manager.id],
        world.manager,
        NOW,
    )
    assert ("care_manager", "case_review", 8) in _live(item.patient_id)
    assert len(_live(item.patient_id)) == 2


def test_corrections_supersede_and_leaving_the_list_zeroes(world, review, item):
    start_review(db.Session, review, world.consultant, NOW)
    set_attendees(db.Session, review, [world.consultant.id, world.manager.id], world.lead, NOW)
    _record(world, item, minutes=8)
    _record(world, item, minutes=12)
    assert _live(item.patient_id) == {
        ("psychiatric_consultant", "psychiatric_consultation", 12),
        ("care_manager", "case_review", 12),
    }
    set_attendees(db.Session, review, [world.consultant.id], world.lead, NOW)
    assert _live(item.patient_id) == {
        ("psychiatric_consultant", "psychiatric_consultation", 12),
        ("care_manager", "case_review", 0),
    }
    entries = db.Session.scalars(
        select(TimeEntry).where(TimeEntry.patient_id == item.patient_id)
    ).all()
    assert len(entries) == 5 and sum(e.superseded_by_id is not None for e in entries) == 3
    assert all(e.note.endswith(f"(case review item {item.id})") for e in entries)


def test_posting_twice_adds_nothing(world, review, item):
    recs = [RecommendationInput("medication", "Increase sertraline", "100 mg daily")]
    first = _record(world, item, recs=recs)
    second = _record(world, item, recs=recs)
    assert len(first.added) == 1 and second.added == [] and not second.changed
    count = db.Session.scalars(
        select(Recommendation).where(Recommendation.review_item_id == item.id)
    )
    assert len(count.all()) == 1
    assert len(_live(item.patient_id)) == 1


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"text": " "}, "assessment"),
        ({"minutes": None}, "minutes"),
        ({"minutes": 0}, "minutes"),
        ({"minutes": 601}, "minutes"),
        ({"recs": []}, "recs-0-kind"),
        ({"recs": [RecommendationInput("", "Something")]}, "recs-0-kind"),
        ({"recs": [None, RecommendationInput("therapy", " ")]}, "recs-1-detail"),
        ({"recs": [RecommendationInput("medication", "Start sertraline")]}, "recs-0-dose"),
        ({"recs": [RecommendationInput("labs", "TSH", "5 mg")]}, "recs-0-dose"),
        ({"recs": [RecommendationInput("potion", "x")]}, "recs-0-kind"),
    ],
)
def test_bad_input_names_its_field(world, review, item, kwargs, field):
    with pytest.raises(ReviewError) as error:
        _record(world, item, **kwargs)
    assert error.value.field == field
    assert item.reviewed_at is None
