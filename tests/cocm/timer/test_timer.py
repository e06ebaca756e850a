"""The start/stop timer and corrections with their audit trail (domain services)."""

from datetime import date, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from cocm.billing import billing_month
from cocm.clock import utcnow
from cocm.models import AuditEvent, TimeEntry
from cocm.timer import (
    Correction,
    NotAllowed,
    TimerError,
    correct_entry,
    discard_timer,
    running_timer,
    start_timer,
    stop_timer,
    time_log,
)
from cocm.timer.service import MAX_RUNNING
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory, staff_with_role

START = "2026-03-10 14:00:00"  # 10:00 in New York


@pytest.fixture
def clinic(session):
    return ClinicFactory(timezone="America/New_York")


@pytest.fixture
def manager(clinic):
    return staff_with_role(clinic, "care_manager", full_name="Maria Lopez")


@pytest.fixture
def patient(clinic, manager):
    patient = PatientFactory(clinic=clinic, care_manager_id=manager.id)
    EpisodeFactory(patient=patient, started_on=date(2026, 2, 2), consent_on=date(2026, 2, 2))
    return patient


def _actions(session, staff) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.staff_id == staff.id)
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
    )


def test_start_then_stop_logs_the_timed_minutes_on_the_start_day(session, patient, manager):
    with freeze_time(START) as clock:
        timer = start_timer(session, patient, manager, utcnow())
        assert running_timer(session, manager.id, utcnow()) == timer
        clock.tick(timedelta(minutes=22, seconds=40))
        saved = stop_timer(
            session, patient, manager, utcnow(), activity="care_coordination", note="Pharmacy"
        )
    entry = saved.time_entry
    assert saved.created
    # 22 min 40 s rounds to 23; the day is the clinic's local day of the start.
    assert (entry.minutes, entry.activity, entry.role, entry.note) == (
        23,
        "care_coordination",
        "care_manager",
        "Pharmacy",
    )
    assert entry.performed_on == date(2026, 3, 10)
    assert entry.started_at == timer.started_at
    assert entry.ended_at - entry.started_at == timedelta(minutes=22, seconds=40)
    assert running_timer(session, manager.id, entry.ended_at) is None
    assert _actions(session, manager) == ["timer_started", "time_logged", "timer_stopped"]
    # The billing month counts it like any other entry.
    (row,) = billing_month(session, patient.clinic_id, 2026, 3, date(2026, 4, 1))
    assert row.minutes == 23


def test_a_timer_started_late_in_the_evening_logs_on_that_local_day(session, patient, manager):
    with freeze_time("2026-03-11 03:30:00") as clock:  # 23:30 on Mar 10 in New York
        start_timer(session, patient, manager, utcnow())
        clock.tick(timedelta(minutes=40))
        saved = stop_timer(session, patient, manager, utcnow(), activity="outreach")
    assert saved.time_entry.performed_on == date(2026, 3, 10)


def test_stop_asks_for_an_activity_and_at_most_the_timed_minutes(session, patient, manager):
    with freeze_time(START) as clock:
        start_timer(session, patient, manager, utcnow())
        clock.tick(timedelta(minutes=10))
        with pytest.raises(TimerError) as missing:
            stop_timer(session, patient, manager, utcnow(), activity=None)
        assert missing.value.field == "activity"
        with pytest.raises(TimerError) as too_many:
            stop_timer(session, patient, manager, utcnow(), activity="outreach", minutes=11)
        assert too_many.value.field == "minutes"
        saved = stop_timer(session, patient, manager, utcnow(), activity="outreach", minutes=7)
    assert saved.time_entry.minutes == 7


def test_less_than_a_minute_cannot_be_logged_but_can_be_discarded(session, patient, manager):
    with freeze_time(START) as clock:
        start_timer(session, patient, manager, utcnow())
        clock.tick(timedelta(seconds=20))
        with pytest.raises(TimerError, match="Less than a minute"):
            stop_timer(session, patient, manager, utcnow(), activity="outreach")
        assert discard_timer(session, patient, manager, utcnow())
        assert running_timer(session, manager.id, utcnow()) is None
        assert not discard_timer(session, patient, manager, utcnow())
    assert session.scalar(select(TimeEntry).where(TimeEntry.patient_id == patient.id)) is None


def test_a_stop_posted_twice_logs_once(session, patient, manager):
    with freeze_time(START) as clock:
        start_timer(session, patient, manager, utcnow())
        clock.tick(timedelta(minutes=15))
        stop_timer(session, patient, manager, utcnow(), activity="outreach")
        with pytest.raises(TimerError, match="No timer is running"):
            stop_timer(session, patient, manager, utcnow(), activity="outreach")
    entries = session.scalars(select(TimeEntry).where(TimeEntry.patient_id == patient.id)).all()
    assert [e.minutes for e in entries] == [15]


def test_one_timer_per_person_and_starting_again_keeps_it(session, clinic, patient, manager):
    other = PatientFactory(clinic=clinic)
    with freeze_time(START) as clock:
        first = start_timer(session, patient, manager, utcnow())
        clock.tick(timedelta(minutes=5))
        assert start_timer(session, patient, manager, utcnow()) == first
        with pytest.raises(TimerError) as busy:
            start_timer(session, other, manager, utcnow())
    assert busy.value.other_patient_id == patient.id
    assert _actions(session, manager) == ["timer_started"]


def test_a_timer_forgotten_overnight_stops_blocking(session, clinic, patient, manager):
    other = PatientFactory(clinic=clinic)
    with freeze_time(START) as clock:
        start_timer(session, patient, manager, utcnow())
        clock.tick(MAX_RUNNING + timedelta(minutes=1))
        assert running_timer(session, manager.id, utcnow()) is None
        assert start_timer(session, other, manager, utcnow()).patient_id == other.id


def test_someone_without_a_time_role_cannot_start(session, clinic, patient):
    lead = staff_with_role(clinic, "clinic_lead")
    with freeze_time(START), pytest.raises(TimerError, match="does not log time"):
        start_timer(session, patient, lead, utcnow())


def _entry(session, patient, manager, minutes=40, day=date(2026, 3, 3)):
    entry = TimeEntry(
        patient_id=patient.id,
        staff_id=manager.id,
        role="care_manager",
        activity="outreach",
        performed_on=day,
        minutes=minutes,
    )
    session.add(entry)
    session.flush()
    return entry


def _fix(minutes=4, reason="Typed 40 for 4", **kwargs):
    values = {
        "minutes": minutes,
        "activity": "outreach",
        "performed_on": date(2026, 3, 3),
        "note": None,
        "reason": reason,
    }
    values.update(kwargs)
    return Correction(**values)


def test_a_correction_writes_a_new_entry_and_supersedes_the_old(session, patient, manager):
    entry = _entry(session, patient, manager)
    with freeze_time(START):
        new = correct_entry(session, entry.id, patient, manager, _fix(), utcnow())
    session.refresh(entry)
    assert entry.superseded_by_id == new.id and entry.minutes == 40
    assert (new.minutes, new.correction_reason, new.staff_id) == (4, "Typed 40 for 4", manager.id)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "time_corrected"))
    assert event.detail["replaces"] == entry.id and event.detail["minutes"] == [40, 4]
    lines = time_log(session, patient.id)
    assert [(ln.entry.minutes, ln.superseded, ln.reason) for ln in lines] == [
        (4, False, None),
        (40, True, "Typed 40 for 4"),
    ]
    (row,) = billing_month(session, patient.clinic_id, 2026, 3, date(2026, 4, 1))
    assert row.minutes == 4


def test_a_correction_needs_a_reason_and_a_change(session, patient, manager):
    entry = _entry(session, patient, manager)
    with freeze_time(START):
        with pytest.raises(TimerError) as no_reason:
            correct_entry(session, entry.id, patient, manager, _fix(reason="  "), utcnow())
        assert no_reason.value.field == "reason"
        with pytest.raises(TimerError, match="Nothing was changed"):
            correct_entry(session, entry.id, patient, manager, _fix(minutes=40), utcnow())
        with pytest.raises(TimerError) as future:
            correct_entry(
                session, entry.id, patient, manager, _fix(performed_on=date(2026, 3, 11)), utcnow()
            )
        assert future.value.field == "performed_on"
    session.refresh(entry)
    assert entry.superseded_by_id is None


def test_zero_withdraws_and_a_superseded_entry_cannot_be_corrected_again(session, patient, manager):
    entry = _entry(session, patient, manager)
    with freeze_time(START):
        new = correct_entry(
            session, entry.id, patient, manager, _fix(minutes=0, reason="Wrong patient"), utcnow()
        )
        with pytest.raises(TimerError, match="already corrected"):
            correct_entry(session, entry.id, patient, manager, _fix(minutes=5), utcnow())
    assert new.minutes == 0
    assert billing_month(session, patient.clinic_id, 2026, 3, date(2026, 4, 1))[0].minutes == 0


def test_who_may_correct(session, clinic, patient, manager):
    entry = _entry(session, patient, manager)
    colleague = staff_with_role(clinic, "care_manager")
    lead = staff_with_role(clinic, "clinic_lead")
    with freeze_time(START):
        with pytest.raises(NotAllowed):
            correct_entry(session, entry.id, patient, colleague, _fix(), utcnow())
        new = correct_entry(session, entry.id, patient, lead, _fix(), utcnow())
        with pytest.raises(LookupError):
            correct_entry(session, new.id, PatientFactory(clinic=clinic), lead, _fix(), utcnow())
    # The minutes stay the care manager's; the audit event names the lead.
    assert new.staff_id == manager.id
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "time_corrected"))
    assert event.staff_id == lead.id


def test_two_corrections_racing_leave_one_live_entry(session, patient, manager, monkeypatch):
    """Another request supersedes the entry after this one checked it: only one wins."""
    from cocm.timer import corrections

    entry = _entry(session, patient, manager)
    rival = _entry(session, patient, manager, minutes=3)
    checked = corrections._validate

    def validate_then_lose_the_race(change, current, today):
        checked(change, current, today)
        session.execute(
            TimeEntry.__table__.update()
            .where(TimeEntry.id == entry.id)
            .values(superseded_by_id=rival.id)
        )

    monkeypatch.setattr(corrections, "_validate", validate_then_lose_the_race)
    with freeze_time(START), pytest.raises(TimerError, match="already corrected"):
        correct_entry(session, entry.id, patient, manager, _fix(), utcnow())
    live = session.scalars(
        select(TimeEntry.minutes).where(
            TimeEntry.patient_id == patient.id, TimeEntry.superseded_by_id.is_(None)
        )
    ).all()
    assert live == [3]  # the rival's entry; this request's replacement was rolled back
