"""The standing weekly slot: the next review, in local time across DST, created once."""

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import func, select

from cocm import db
from cocm.models import CaseReview
from cocm.review.errors import NotAllowed, ReviewError
from cocm.review.schedule import (
    clinic_reviews,
    ensure_upcoming_review,
    finish_review,
    set_attendees,
    start_review,
)
from tests.cocm.registry.builders import at
from tests.cocm.review.helpers import World


def _count():
    return db.Session.scalar(select(func.count()).select_from(CaseReview))


def test_next_slot_in_the_clinics_time_and_created_once(world):
    # Monday Mar 16 (after the DST change): Wednesday noon in New York is 16:00 UTC.
    review = ensure_upcoming_review(db.Session, world.clinic, at("2026-03-16"))
    assert review.scheduled_for == datetime(2026, 3, 18, 16, tzinfo=UTC)
    assert review.status == "planned"
    assert ensure_upcoming_review(db.Session, world.clinic, at("2026-03-17")).id == review.id
    assert _count() == 1
    # Before the change, the same local noon is 17:00 UTC.
    earlier = ensure_upcoming_review(db.Session, world.clinic, at("2026-03-02"))
    assert earlier.scheduled_for == datetime(2026, 3, 4, 17, tzinfo=UTC)


def test_todays_review_stays_upcoming_until_finished(world):
    review = ensure_upcoming_review(db.Session, world.clinic, at("2026-03-18", 20))  # 4 PM
    assert review.scheduled_for == datetime(2026, 3, 18, 16, tzinfo=UTC)
    finish_review(db.Session, review, world.consultant, at("2026-03-18", 20))
    following = ensure_upcoming_review(db.Session, world.clinic, at("2026-03-18", 21))
    assert following.scheduled_for == datetime(2026, 3, 25, 16, tzinfo=UTC)
    upcoming, past = clinic_reviews(db.Session, {world.clinic.id}, at("2026-03-18", 21))
    assert [r.id for r in upcoming] == [following.id] and [r.id for r in past] == [review.id]


def test_no_standing_slot_no_review(session):
    world = World(review_weekday=None, review_time=None)
    assert ensure_upcoming_review(db.Session, world.clinic, at("2026-03-16")) is None
    world.clinic.review_weekday, world.clinic.review_time = 7, time(9, 30)
    review = ensure_upcoming_review(db.Session, world.clinic, at("2026-03-16"))
    assert review.scheduled_for == datetime(2026, 3, 22, 13, 30, tzinfo=UTC)


def test_only_the_consultant_runs_and_finishes(world):
    review = ensure_upcoming_review(db.Session, world.clinic, at("2026-03-16"))
    for someone in (world.manager, world.clinician, world.lead):
        with pytest.raises(NotAllowed):
            start_review(db.Session, review, someone, at("2026-03-18", 16))
        with pytest.raises(NotAllowed):
            finish_review(db.Session, review, someone, at("2026-03-18", 16))
    assert start_review(db.Session, review, world.consultant, at("2026-03-18", 16))
    assert review.status == "in_progress" and review.consultant_id == world.consultant.id
    assert start_review(db.Session, review, world.consultant, at("2026-03-18", 16)) is False
    assert finish_review(db.Session, review, world.consultant, at("2026-03-18", 17))
    assert finish_review(db.Session, review, world.consultant, at("2026-03-18", 17)) is False
    with pytest.raises(ReviewError):
        start_review(db.Session, review, world.consultant, at("2026-03-18", 18))


def test_attendees_come_from_the_clinics_team(world):
    from tests.factories import ClinicFactory, staff_with_role

    review = ensure_upcoming_review(db.Session, world.clinic, at("2026-03-16"))
    stranger = staff_with_role(ClinicFactory(), "care_manager")
    with pytest.raises(ReviewError) as error:
        set_attendees(db.Session, review, [stranger.id], world.manager, at("2026-03-18"))
    assert error.value.field == "attendees"
    with pytest.raises(NotAllowed):
        set_attendees(db.Session, review, [world.manager.id], world.clinician, at("2026-03-18"))
    wanted = [world.manager.id, world.consultant.id]
    assert set_attendees(db.Session, review, wanted, world.manager, at("2026-03-18"))
    assert not set_attendees(db.Session, review, wanted, world.manager, at("2026-03-18"))
