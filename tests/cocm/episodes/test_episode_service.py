from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from cocm.contacts.measures import record_measure
from cocm.episodes.closing import CloseData, close_episode
from cocm.episodes.service import (
    EpisodeError,
    add_months,
    plans_to_sign,
    reentry_blocked,
    sign_care_plan,
)
from cocm.models import CarePlan, MeasurementSchedule
from tests.cocm.clinics.helpers import Team
from tests.factories import EpisodeFactory, PatientFactory

NOW = datetime(2026, 3, 10, 15, tzinfo=UTC)


def _episode(team, **kwargs):
    patient = PatientFactory(clinic=team.clinic, treating_clinician_id=team.clinician.id)
    return EpisodeFactory(patient=patient, **kwargs)


def _plan(session, episode, team, version):
    plan = CarePlan(
        episode_id=episode.id, version=version, goals="g", created_by_id=team.manager.id
    )
    session.add(plan)
    session.flush()
    return plan


def test_add_months_clamps_to_month_end():
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2026, 3, 10), -12) == date(2025, 3, 10)


def test_reentry_after_six_months_without_services(session):
    team = Team()
    episode = _episode(
        team, status="completed", started_on=date(2025, 3, 1), ended_on=date(2025, 9, 10)
    )
    patient = episode.patient
    assert reentry_blocked(session, patient, date(2026, 3, 9))
    assert reentry_blocked(session, patient, date(2026, 3, 10)) is None
    open_one = _episode(team)
    assert "already has an open episode" in reentry_blocked(
        session, open_one.patient, date(2030, 1, 1)
    )


def test_only_the_latest_version_is_signed_and_only_by_a_clinician(session):
    team = Team()
    episode = _episode(team)
    old, new = _plan(session, episode, team, 1), _plan(session, episode, team, 2)
    rows = plans_to_sign(session, {team.clinic.id}, team.clinician.id)
    assert [plan.id for plan, _ in rows] == [new.id]
    with pytest.raises(EpisodeError, match="newer version"):
        sign_care_plan(session, old, team.clinician, NOW)
    with pytest.raises(EpisodeError, match="Only a treating clinician"):
        sign_care_plan(session, new, team.manager, NOW)
    assert sign_care_plan(session, new, team.clinician, NOW) is True
    assert sign_care_plan(session, new, team.clinician, NOW) is False
    assert plans_to_sign(session, {team.clinic.id}, team.clinician.id) == []


def test_measure_moves_schedule_and_response_spaces_it_out(session):
    team = Team()
    episode = _episode(team)
    patient = episode.patient
    session.add(MeasurementSchedule(episode_id=episode.id, instrument="PHQ-9", next_due_at=NOW))
    session.flush()
    record_measure(
        session,
        patient=patient,
        episode=episode,
        instrument="PHQ-9",
        answers=[2, 2, 2, 2, 2, 2, 2, 2, 0],
        channel="clinic",
        staff=team.manager,
        now=NOW,
    )
    row = session.scalar(select(MeasurementSchedule))
    assert row.next_due_at == NOW + timedelta(days=14)
    later = NOW + timedelta(days=14)
    record_measure(
        session,
        patient=patient,
        episode=episode,
        instrument="PHQ-9",
        answers=[1, 1, 1, 1, 1, 1, 1, 1, 0],
        channel="contact",
        staff=team.manager,
        now=later,
    )
    assert row.next_due_at == later + timedelta(days=28)  # 16 -> 8 is a response


def test_closing_needs_an_open_episode_and_a_note(session):
    team = Team()
    episode = _episode(team)
    patient = episode.patient
    with pytest.raises(EpisodeError) as error:
        close_episode(session, patient, CloseData("completed", "  "), team.manager, NOW)
    assert error.value.field == "note"
    close_episode(session, patient, CloseData("completed", "Done."), team.manager, NOW)
    with pytest.raises(EpisodeError) as error:
        close_episode(session, patient, CloseData("completed", "Done."), team.manager, NOW)
    assert error.value.field is None
