"""The set-based dispatcher writes exactly what start_checkin writes, and keeps its guarantees."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from cocm.cadence import bulk
from cocm.cadence.checkins import dispatch_due_checkins
from cocm.checkins import from_json, start_checkin, start_contact_confirmation
from cocm.messaging.keys import PENDING_KEY
from cocm.models import (
    Assessment,
    Contact,
    Conversation,
    MeasurementSchedule,
    Message,
    OutboxItem,
)
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory, StaffFactory

NOW = datetime(2026, 1, 5, 15, tzinfo=UTC)  # Monday, 10:00 in New York


def _due(session, clinic, first_name="Dana", **patient_kwargs):
    patient = PatientFactory(clinic=clinic, first_name=first_name, **patient_kwargs)
    episode = EpisodeFactory(patient=patient, started_on=NOW.date(), consent_on=NOW.date())
    schedule = MeasurementSchedule(episode_id=episode.id, instrument="PHQ-9", next_due_at=NOW)
    session.add(schedule)
    session.flush()
    return patient, episode, schedule


def _written(session, conversation_id):
    conversation = session.get(Conversation, conversation_id)
    assessment = session.get(Assessment, conversation.assessment_id)
    message, item = session.execute(
        select(Message, OutboxItem)
        .join(OutboxItem, OutboxItem.message_id == Message.id)
        .where(Message.conversation_id == conversation_id)
    ).one()
    return conversation, assessment, message, item


def test_many_check_ins_are_the_rows_start_checkin_writes(session):
    clinic = ClinicFactory(timezone="America/New_York", text_window_start=time(8))
    patients = [_due(session, clinic, first_name=name) for name in ("Dana", "Eli", "Dana")]
    twin = PatientFactory(clinic=clinic, first_name="Dana")
    EpisodeFactory(patient=twin, started_on=NOW.date(), consent_on=NOW.date())
    by_hand = start_checkin(session, twin, "PHQ-9", NOW)

    report = dispatch_due_checkins(session, NOW)

    assert (report.due, report.started) == (3, 3)
    expected = _written(session, by_hand.id)
    for (patient, episode, schedule), conversation_id in zip(
        patients, report.conversation_ids, strict=True
    ):
        conversation, assessment, message, item = _written(session, conversation_id)
        assert conversation.patient_id == patient.id and conversation.status == "open"
        assert (conversation.kind, conversation.instrument) == ("checkin", "PHQ-9")
        assert from_json(conversation.state) == from_json(expected[0].state)
        assert conversation.last_outbound_at == NOW and conversation.opened_at == NOW
        assert (assessment.episode_id, assessment.status, assessment.channel) == (
            episode.id,
            "in_progress",
            "sms",
        )
        assert assessment.started_at == NOW and assessment.risk is False
        body = expected[2].body.replace("Dana", patient.first_name)
        assert (message.body, message.kind, message.status) == (body, "checkin_open", "queued")
        assert message.segments == expected[2].segments
        assert (message.to_number, message.from_number) == (patient.phone_e164, clinic.sms_number)
        assert item.dedupe_key == f"checkin_open:conversation:{conversation_id}"
        assert (item.status, item.not_before, item.attempts) == ("pending", NOW, 0)
        assert item.id in session.info[PENDING_KEY]
        session.refresh(schedule)
        assert schedule.last_sent_at == NOW
        assert schedule.next_due_at == NOW + timedelta(days=clinic.default_cadence_days)


def test_a_conversation_opened_since_the_look_is_superseded(session):
    clinic = ClinicFactory(timezone="America/New_York", text_window_start=time(8))
    patient, _, schedule = _due(session, clinic)
    fresh, _, _ = _due(session, clinic, first_name="Eli")
    report_rows = dispatch_rows(session)
    # A contact confirmation opens after the dispatcher looked for busy patients.
    contact = Contact(
        patient_id=patient.id,
        staff_id=StaffFactory().id,
        kind="phone",
        outcome="reached",
        occurred_at=NOW - timedelta(days=1),
        minutes=10,
        next_contact_at=NOW + timedelta(days=3),
    )
    session.add(contact)
    session.flush()
    confirmation = start_contact_confirmation(session, contact, NOW)

    from cocm.cadence.checkins import DispatchReport
    from cocm.cadence.starts import start_many

    report = DispatchReport()
    started = dict(start_many(session, report_rows, NOW, report))

    assert set(started) == {patient.id, fresh.id}
    session.refresh(confirmation)
    assert confirmation.status == "superseded"
    assert session.get(Conversation, started[patient.id]).status == "open"


def dispatch_rows(session):
    """The claimed (due row, patient) pairs the dispatcher hands to ``start_many``."""
    from cocm.cadence.checkins import due_now
    from cocm.cadence.starts import people

    due = due_now(session, NOW)
    persons = people(session, {row.patient_id for row in due})
    return [(row, persons[row.patient_id]) for row in due]


def test_a_claim_on_a_row_moved_by_someone_else_is_lost(session):
    clinic = ClinicFactory(timezone="America/New_York", text_window_start=time(8))
    _, _, schedule = _due(session, clinic)
    _, _, other = _due(session, clinic, first_name="Eli")
    later = NOW + timedelta(days=14)

    won = bulk.claim_schedules(session, [(schedule.id, NOW, later), (other.id, NOW, later)])
    again = bulk.claim_schedules(session, [(schedule.id, NOW, later)])

    assert won == {schedule.id, other.id}
    assert again == set()


def test_the_portal_link_names_each_conversation(session, settings):
    from cocm.portal.links import make_token

    # With first names off the link fits the opening text's two segments.
    clinic = ClinicFactory(
        timezone="America/New_York",
        text_window_start=time(8),
        portal_links_enabled=True,
        use_first_names=False,
    )
    _due(session, clinic)
    _due(session, clinic, first_name="Eli")

    report = dispatch_due_checkins(session, NOW)

    assert report.started == 2
    for conversation_id in report.conversation_ids:
        message = _written(session, conversation_id)[2]
        link = f"{settings.public_base_url}/q/{make_token(conversation_id)}"
        assert message.body.endswith(f"Or answer online: {link}")
