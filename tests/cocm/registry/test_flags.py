"""Each registry flag, on both sides of its boundary, with the clock frozen."""

from datetime import date

import pytest
from freezegun import freeze_time

from cocm import db
from cocm.clock import utcnow
from cocm.registry import RegistryFilters, registry_rows
from tests.cocm.registry.builders import (
    assessment,
    at,
    contact,
    queue_item,
    reviewed,
    schedule,
)
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory, staff_with_role


@pytest.fixture
def manager(session):
    return staff_with_role(ClinicFactory(timezone="America/New_York"), "care_manager")


@pytest.fixture
def episode(manager):
    clinic_id = manager.memberships[0].clinic_id
    patient = PatientFactory(clinic_id=clinic_id, care_manager_id=manager.id)
    return EpisodeFactory(patient=patient, started_on=date(2026, 1, 5))


def flags_at(episode, moment: str) -> dict[str, str]:
    """The episode's flags as the registry shows them at ``moment`` (UTC)."""
    with freeze_time(moment):
        today = utcnow().date()
        rows = registry_rows(
            db.Session(),
            {episode.patient.clinic_id},
            RegistryFilters(statuses=("enrolled", "active", "relapse_prevention", "completed")),
            today,
        )
    return next(r for r in rows if r.episode_id == episode.id).flags


def test_risk_open_urgent_item(episode):
    item = queue_item(episode.patient, at("2026-01-10"), kind="risk_words")
    assert flags_at(episode, "2026-03-16 15:00")["risk"] == "Open urgent queue item"
    item.status = "closed"
    item.outcome, item.outcome_note, item.closed_at = "reached_safe", "ok", at("2026-01-10", 16)
    db.Session.flush()
    assert "risk" not in flags_at(episode, "2026-03-16 15:00")


def test_risk_drill_does_not_count(episode):
    queue_item(episode.patient, at("2026-03-15"), kind="drill", is_drill=True)
    assert "risk" not in flags_at(episode, "2026-03-16 15:00")


def test_risk_answer_within_fourteen_days(episode):
    assessment(episode.patient, episode, "PHQ-9", 12, at("2026-03-02"), risk_item=1)
    assert flags_at(episode, "2026-03-16 15:00")["risk"] == "Risk signal on Mar 2"
    assert "risk" not in flags_at(episode, "2026-03-17 15:00")


def test_risk_words_item_closed_still_counts_for_fourteen_days(episode):
    queue_item(
        episode.patient,
        at("2026-03-10"),
        kind="risk_words",
        status="closed",
        outcome="reached_safe",
        outcome_note="Talked; safe.",
        closed_at=at("2026-03-10", 16),
    )
    assert "risk" in flags_at(episode, "2026-03-24 15:00")
    assert "risk" not in flags_at(episode, "2026-03-25 15:00")


def test_not_improving_after_ten_weeks(episode):
    p = episode.patient
    assessment(p, episode, "PHQ-9", 16, at("2026-01-05"))
    assessment(p, episode, "PHQ-9", 14, at("2026-03-09"))
    assert "not_improving" not in flags_at(episode, "2026-03-15 15:00")  # 9 weeks 6 days
    flags = flags_at(episode, "2026-03-16 15:00")
    assert flags["not_improving"] == "PHQ-9 16 → 14, week 10"


def test_not_improving_clears_with_significant_improvement(episode):
    p = episode.patient
    assessment(p, episode, "GAD-7", 16, at("2026-01-05"))
    assessment(p, episode, "GAD-7", 9, at("2026-03-09"))  # under 10
    assert "not_improving" not in flags_at(episode, "2026-04-01 15:00")


def test_not_improving_on_gad7_alone(episode):
    p = episode.patient
    assessment(p, episode, "PHQ-9", 16, at("2026-01-05"))
    assessment(p, episode, "PHQ-9", 4, at("2026-03-09"))
    assessment(p, episode, "GAD-7", 15, at("2026-01-05"))
    assessment(p, episode, "GAD-7", 12, at("2026-03-09"))
    assert flags_at(episode, "2026-03-20 15:00")["not_improving"].startswith("GAD-7 15 → 12")


def test_new_until_four_weeks_or_first_review(episode):
    assert "new" in flags_at(episode, "2026-02-01 15:00")  # day 27
    assert "new" not in flags_at(episode, "2026-02-02 15:00")  # day 28
    reviewed(episode.patient, episode, at("2026-01-21"))
    assert "new" not in flags_at(episode, "2026-01-22 15:00")


def test_no_follow_up_within_four_weeks(episode, manager):
    p = episode.patient
    contact(p, episode, manager, at("2026-01-06"), template="initial_assessment")
    assert "no_follow_up" not in flags_at(episode, "2026-02-03 15:00")  # day 28
    assert flags_at(episode, "2026-02-04 15:00")["no_follow_up"] == "No follow-up contact yet"
    # An unanswered call is not a follow-up.
    contact(p, episode, manager, at("2026-01-20"), outcome="no_answer")
    assert "no_follow_up" in flags_at(episode, "2026-02-04 15:00")
    contact(p, episode, manager, at("2026-02-03"))
    assert "no_follow_up" not in flags_at(episode, "2026-03-04 15:00")


def test_late_follow_up_stays_flagged(episode, manager):
    p = episode.patient
    contact(p, episode, manager, at("2026-01-06"), template="initial_assessment")
    contact(p, episode, manager, at("2026-02-10"))
    reason = flags_at(episode, "2026-03-04 15:00")["no_follow_up"]
    assert reason == "First follow-up 35 days after the initial assessment"


def test_no_follow_up_counts_from_enrollment_without_an_initial_contact(episode, manager):
    contact(episode.patient, episode, manager, at("2026-01-30"))
    assert "no_follow_up" not in flags_at(episode, "2026-03-04 15:00")


def test_contact_overdue(episode, manager):
    p = episode.patient
    contact(p, episode, manager, at("2026-03-02"), next_contact_at=at("2026-03-09"))
    assert "contact_overdue" not in flags_at(episode, "2026-03-09 20:00")  # due today
    assert flags_at(episode, "2026-03-10 15:00")["contact_overdue"] == "Planned for Mar 9"
    # Any later contact, an attempt included, clears it even if it set no new date.
    contact(p, episode, manager, at("2026-03-10", 14), outcome="no_answer")
    assert "contact_overdue" not in flags_at(episode, "2026-03-11 15:00")


def test_contact_overdue_uses_the_latest_plan(episode, manager):
    p = episode.patient
    contact(p, episode, manager, at("2026-03-02"), next_contact_at=at("2026-03-09"))
    contact(p, episode, manager, at("2026-03-05"), next_contact_at=at("2026-03-19"))
    assert "contact_overdue" not in flags_at(episode, "2026-03-12 15:00")
    assert "contact_overdue" in flags_at(episode, "2026-03-20 15:00")


def test_measure_overdue_after_three_days(episode):
    schedule(episode, at("2026-03-10"))
    schedule(episode, at("2026-03-30"), instrument="GAD-7")
    assert "measure_overdue" not in flags_at(episode, "2026-03-13 15:00")
    assert flags_at(episode, "2026-03-14 15:00")["measure_overdue"] == "Due Mar 10"


def test_measure_overdue_ignores_inactive_schedules(episode):
    schedule(episode, at("2026-02-01"), active=False)
    assert "measure_overdue" not in flags_at(episode, "2026-03-14 15:00")


def test_no_psychiatric_review_in_sixty_days(episode):
    assert "no_psych_review" not in flags_at(episode, "2026-02-01 15:00")  # still new
    assert flags_at(episode, "2026-02-02 15:00")["no_psych_review"] == "Never reviewed"
    reviewed(episode.patient, episode, at("2026-01-14"))
    assert "no_psych_review" not in flags_at(episode, "2026-03-15 15:00")  # day 60
    assert flags_at(episode, "2026-03-16 15:00")["no_psych_review"] == "Last reviewed Jan 14"


def test_opted_out(episode):
    episode.patient.sms_opted_out = True
    db.Session.flush()
    assert "opted_out" in flags_at(episode, "2026-03-16 15:00")


def test_unreachable_by_phone_problem(episode):
    episode.patient.phone_problem = "Carrier says the number cannot receive texts (21614)"
    db.Session.flush()
    assert flags_at(episode, "2026-03-16 15:00")["unreachable"].startswith("Phone problem")


def test_unreachable_after_three_unanswered_contacts(episode, manager):
    p = episode.patient
    contact(p, episode, manager, at("2026-02-20"), outcome="reached")
    contact(p, episode, manager, at("2026-03-01"), outcome="no_answer")
    contact(p, episode, manager, at("2026-03-03"), outcome="left_message")
    assert "unreachable" not in flags_at(episode, "2026-03-16 15:00")
    contact(p, episode, manager, at("2026-03-05"), outcome="no_answer")
    assert flags_at(episode, "2026-03-16 15:00")["unreachable"] == "Last 3 contacts unanswered"
    contact(p, episode, manager, at("2026-03-06"), outcome="wrong_number")
    assert flags_at(episode, "2026-03-16 15:00")["unreachable"] == "Last 4 contacts unanswered"
    contact(p, episode, manager, at("2026-03-07"), outcome="reached")
    assert "unreachable" not in flags_at(episode, "2026-03-16 15:00")


def test_suggested_next_action_when_none_written(episode, manager):
    contact(episode.patient, episode, manager, at("2026-03-02"), next_contact_at=at("2026-03-09"))
    with freeze_time("2026-03-16 15:00"):
        rows = registry_rows(db.Session(), {episode.patient.clinic_id}, None, utcnow().date())
    row = rows[0]
    assert row.next_action == "Call: the planned contact is overdue"
    assert row.next_action_suggested
