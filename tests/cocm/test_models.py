"""Constraints live in the schema, not only in code."""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from cocm.models import Assessment, Contact, Episode, Patient, QueueItem, TimeEntry
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory, StaffFactory

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)


def _fails(session, obj):
    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(obj)
        session.flush()


def test_mrn_is_unique_per_clinic_but_not_across_clinics(session):
    first = PatientFactory(mrn="A1")
    PatientFactory(mrn="A1")  # another clinic: allowed
    _fails(session, Patient(clinic_id=first.clinic_id, mrn="A1", first_name="X", last_name="Y"))


def test_one_open_episode_per_patient(session):
    episode = EpisodeFactory()
    closed = Episode(
        patient_id=episode.patient_id,
        status="completed",
        started_on=date(2025, 1, 1),
        ended_on=date(2025, 6, 1),
    )
    session.add(closed)
    session.flush()
    _fails(
        session,
        Episode(patient_id=episode.patient_id, status="active", started_on=date(2026, 2, 1)),
    )


def test_minutes_cannot_be_negative(session):
    episode = EpisodeFactory()
    staff = StaffFactory()
    _fails(
        session,
        TimeEntry(
            patient_id=episode.patient_id,
            staff_id=staff.id,
            role="care_manager",
            activity="outreach",
            performed_on=date(2026, 3, 1),
            minutes=-5,
        ),
    )


def test_contact_minutes_and_kinds_are_checked(session):
    patient = PatientFactory()
    staff = StaffFactory()
    _fails(
        session,
        Contact(
            patient_id=patient.id,
            staff_id=staff.id,
            kind="carrier pigeon",
            outcome="reached",
            occurred_at=NOW,
        ),
    )
    _fails(
        session,
        Contact(
            patient_id=patient.id,
            staff_id=staff.id,
            kind="phone",
            outcome="reached",
            occurred_at=NOW,
            minutes=-1,
        ),
    )


def test_score_range_is_checked(session):
    patient = PatientFactory()
    _fails(
        session,
        Assessment(
            patient_id=patient.id,
            instrument="PHQ-9",
            channel="sms",
            status="completed",
            total=28,
            started_at=NOW,
            completed_at=NOW,
        ),
    )


def test_urgent_item_cannot_close_without_outcome_and_note(session):
    clinic = ClinicFactory()
    item = QueueItem(
        clinic_id=clinic.id,
        kind="risk_answer",
        priority="urgent",
        reason="item 9",
        opened_at=NOW,
        status="closed",
        closed_at=NOW,
    )
    _fails(session, item)
    ok = QueueItem(
        clinic_id=clinic.id,
        kind="risk_answer",
        priority="urgent",
        reason="item 9",
        opened_at=NOW,
        status="closed",
        closed_at=NOW,
        outcome="reached_safe",
        outcome_note="Spoke with patient; safe at home with family.",
    )
    session.add(ok)
    session.flush()
    assert ok.id


def test_datetimes_come_back_as_utc(session):
    patient = PatientFactory()
    session.expire_all()
    loaded = session.get(Patient, patient.id)
    assert loaded.sms_consent_at.tzinfo is not None
    assert loaded.sms_consent_at == datetime(2026, 1, 5, 15, tzinfo=UTC)
