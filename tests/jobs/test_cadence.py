"""The measurement cadence over months, with freezegun, through the real services."""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from freezegun import freeze_time
from sqlalchemy import select

from cocm.cadence.checkins import dispatch_due_checkins
from cocm.cadence.timers import run_conversation_timers
from cocm.inbound.service import receive_sms
from cocm.models import Conversation, MeasurementSchedule, OutboxItem
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory

ZONE = "America/New_York"
START = datetime(2026, 1, 5, 14, tzinfo=UTC)  # Monday, 09:00 in New York


def _enrolled(session, **patient_kwargs):
    clinic = ClinicFactory(timezone=ZONE, text_window_start=time(8), text_window_end=time(21))
    patient = PatientFactory(clinic=clinic, **patient_kwargs)
    episode = EpisodeFactory(patient=patient, started_on=START.date(), consent_on=START.date())
    session.add(MeasurementSchedule(episode_id=episode.id, instrument="PHQ-9", next_due_at=START))
    session.flush()
    return clinic, patient, episode


def _answer(session, clinic, patient, conversation, body, now):
    receive_sms(
        session,
        message_sid=f"SM{conversation.id:08d}{int(now.timestamp())}",
        from_number=patient.phone_e164,
        to_number=clinic.sms_number,
        body=body,
        opt_out_type=None,
        now=now,
    )


def _run(session, clinic, patient, days, answers):
    """Tick every two hours for ``days``; the patient answers each check-in two hours after it
    opens. (The services take the time as an argument, as the jobs pass it from the one clock.)"""
    opened = []
    moment = START
    pending = None
    for _ in range(days * 12):
        report = dispatch_due_checkins(session, moment)
        if moment.hour % 6 == 0:
            run_conversation_timers(session, moment)
        for conversation_id in report.conversation_ids:
            conversation = session.get(Conversation, conversation_id)
            opened.append(conversation.last_outbound_at)
            pending = (conversation, moment + timedelta(hours=2))
        if pending and moment >= pending[1]:
            body = answers(len(opened))
            if body is not None:
                _answer(session, clinic, patient, pending[0], body, moment)
            pending = None
        moment += timedelta(hours=2)
    return opened


def test_two_week_cadence_over_three_months(session):
    clinic, patient, _ = _enrolled(session)
    opened = _run(session, clinic, patient, 91, lambda n: "2 2 2 2 2 2 1 1 0")  # never responds
    assert [(o - START).days for o in opened] == [0, 14, 28, 42, 56, 70, 84]
    for moment in opened:
        local = moment.astimezone(ZoneInfo(ZONE)).time()
        assert time(8) <= local < time(21)


def test_response_moves_the_patient_to_28_days(session):
    clinic, patient, _ = _enrolled(session)
    # Baseline 16, then 14, then 6 (a response: >= 50% drop) from the third check-in on.
    bodies = {1: "2 2 2 2 2 2 2 2 0", 2: "2 2 2 2 2 2 1 1 0"}
    opened = _run(session, clinic, patient, 120, lambda n: bodies.get(n, "1 1 1 1 1 1 0 0 0"))
    gaps = [(b - a).days for a, b in zip(opened, opened[1:], strict=False)]
    assert gaps[:2] == [14, 14]
    assert gaps[2:] and all(gap == 28 for gap in gaps[2:])


def test_due_at_night_waits_for_the_morning(session):
    clinic, patient, _ = _enrolled(session)
    schedule = session.scalar(select(MeasurementSchedule))
    night = datetime(2026, 1, 6, 3, 30, tzinfo=UTC)  # 22:30 in New York
    schedule.next_due_at = night
    session.flush()
    with freeze_time(night):
        assert dispatch_due_checkins(session, night).outside_window == 1
    morning = datetime(2026, 1, 6, 13, 0, tzinfo=UTC)  # 08:00 in New York
    with freeze_time(morning):
        assert dispatch_due_checkins(session, morning).started == 1
    item = session.scalar(select(OutboxItem))
    assert item.not_before == morning


def test_opted_out_and_closed_patients_get_nothing(session):
    _enrolled(session, sms_opted_out=True)
    _, _, closed = _enrolled(session)
    closed.status = "completed"
    closed.ended_on = START.date()
    session.flush()
    with freeze_time(START):
        report = dispatch_due_checkins(session, START + timedelta(days=30))
    assert report.due == 0 and report.started == 0
    assert session.scalar(select(Conversation)) is None


def test_a_second_dispatch_run_starts_nothing_twice(session):
    _enrolled(session)
    with freeze_time(START):
        assert dispatch_due_checkins(session, START).started == 1
        assert dispatch_due_checkins(session, START).started == 0
    assert len(session.scalars(select(Conversation)).all()) == 1


def test_patients_without_text_consent_get_nothing(session):
    _enrolled(session, sms_consent_at=None)
    report = dispatch_due_checkins(session, START)
    assert report.due == 0 and report.started == 0


def test_start_checkin_refuses_a_patient_who_did_not_consent(session):
    import pytest

    from cocm.checkins.service import NotTextable, start_checkin

    _, patient, _ = _enrolled(session, sms_consent_at=None)
    with pytest.raises(NotTextable, match="not agreed"):
        start_checkin(session, patient, "PHQ-9", START)
