"""The overdue rule with the clock frozen: on the registry, on the agenda and in the lists."""

from datetime import UTC, date, datetime

from freezegun import freeze_time

from cocm import db
from cocm.clock import utcnow
from cocm.registry import RegistryFilters, registry, registry_rows
from cocm.review import lists
from cocm.review.agenda import build_agenda
from cocm.review.overdue import FLAG, age_days, is_overdue, overdue_recommendations
from cocm.review.recommendations import communicate, decide
from cocm.review.schedule import ensure_upcoming_review
from tests.cocm.registry.builders import at

ZONE = "America/New_York"


def _flags(world, episode, today):
    rows = registry_rows(db.Session, {world.clinic.id}, RegistryFilters(), today)
    return next(r for r in rows if r.episode_id == episode.id).flags


def test_overdue_the_day_after_the_limit(world):
    # Proposed Mar 2, 10:00 in New York; the clinic's limit is 7 days.
    patient, episode, rec = world.with_open_recommendation(status="proposed")
    rec.created_at = datetime(2026, 3, 2, 15, tzinfo=UTC)
    db.Session.flush()
    with freeze_time("2026-03-10 03:59:00"):  # still Mar 9 in New York: 7 days old
        today = utcnow().astimezone(__import__("zoneinfo").ZoneInfo(ZONE)).date()
        assert today == date(2026, 3, 9)
        assert FLAG not in _flags(world, episode, today)
        assert overdue_recommendations(db.Session, {world.clinic.id}, utcnow()) == []
    with freeze_time("2026-03-10 04:01:00"):  # Mar 10 in New York: 8 days old
        today = date(2026, 3, 10)
        assert _flags(world, episode, today)[FLAG] == "Recommendation of Mar 2 open 8 days"
        (row,) = overdue_recommendations(db.Session, {world.clinic.id}, utcnow())
        assert (row.recommendation_id, row.age, row.limit) == (rec.id, 8, 7)
        result = registry(db.Session, {world.clinic.id}, RegistryFilters(flag=FLAG), today)
        assert [r.patient_id for r in result.rows] == [patient.id] and result.counts[FLAG] == 1


def test_each_open_state_can_be_overdue_and_closing_clears_it(world):
    _, episode, rec = world.with_open_recommendation(status="proposed", created="2026-03-01")
    today = date(2026, 3, 16)
    assert FLAG in _flags(world, episode, today)
    decide(db.Session, rec, world.clinician, "approve", now=at("2026-03-16"))
    assert FLAG in _flags(world, episode, today)  # approved but not told: still open
    communicate(
        db.Session,
        rec,
        world.manager,
        "phone",
        at("2026-03-16", 16),
        None,
        now=at("2026-03-16", 17),
    )
    assert FLAG not in _flags(world, episode, today)
    _, other, declined = world.with_open_recommendation(status="proposed", created="2026-03-01")
    decide(db.Session, declined, world.clinician, "decline", reason="No", now=at("2026-03-16"))
    assert FLAG not in _flags(world, other, today)


def test_the_clinic_sets_its_own_limit(world):
    world.clinic.recommendation_limit_days = 3
    _, episode, _ = world.with_open_recommendation(status="approved", created="2026-03-12")
    assert FLAG not in _flags(world, episode, date(2026, 3, 15))
    assert FLAG in _flags(world, episode, date(2026, 3, 16))


def test_the_rule_itself():
    made = datetime(2026, 3, 2, 15, tzinfo=UTC)
    assert age_days(made, date(2026, 3, 9), ZONE) == 7
    assert not is_overdue("approved", made, 7, date(2026, 3, 9), ZONE)
    assert is_overdue("modified", made, 7, date(2026, 3, 10), ZONE)
    assert not is_overdue("communicated", made, 7, date(2026, 4, 10), ZONE)
    assert not is_overdue("declined", made, 7, date(2026, 4, 10), ZONE)


def test_the_next_agenda_marks_it(world, clock):
    patient, _, rec = world.with_open_recommendation(status="approved", created="2026-03-05")
    review = ensure_upcoming_review(db.Session, world.clinic, utcnow())
    build_agenda(db.Session, review, date(2026, 3, 16))
    (item,) = review.items
    assert (item.reason, item.patient_id) == ("follow_up", patient.id)
    _, earlier = lists.for_review(db.Session, review, {patient.id}, utcnow())
    (view,) = earlier[patient.id]
    assert view.rec.id == rec.id and view.overdue and view.age == 11
    clock.move_to("2026-03-10 15:00:00")
    _, earlier = lists.for_review(db.Session, review, {patient.id}, utcnow())
    assert not earlier[patient.id][0].overdue
