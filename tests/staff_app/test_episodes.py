from datetime import UTC, date, datetime

from freezegun import freeze_time
from sqlalchemy import select

from cocm.models import (
    AuditEvent,
    CarePlan,
    Contact,
    MeasurementSchedule,
    Message,
    OutboxItem,
    Referral,
)
from tests.cocm.clinics.helpers import Team, csrf, signed_in
from tests.factories import EpisodeFactory, PatientFactory

NOW = "2026-03-10 15:00:00"


def _setup(**episode):
    team = Team()
    patient = PatientFactory(
        clinic=team.clinic, care_manager_id=team.manager.id, treating_clinician_id=team.clinician.id
    )
    episode = EpisodeFactory(patient=patient, **episode)
    plan = CarePlan(
        episode_id=episode.id,
        version=1,
        goals="Sleep",
        created_by_id=team.manager.id,
        created_at=datetime(2026, 1, 5, tzinfo=UTC),
    )
    session = EpisodeFactory._meta.sqlalchemy_session_factory()
    session.add(plan)
    session.add(
        MeasurementSchedule(
            episode_id=episode.id, instrument="PHQ-9", next_due_at=datetime(2026, 3, 20, tzinfo=UTC)
        )
    )
    session.flush()
    return team, patient, episode, plan


def _queued_text(session, team, patient, status="queued"):
    message = Message(
        direction="outbound",
        patient_id=patient.id,
        clinic_id=team.clinic.id,
        kind="checkin_open",
        body="Hi",
        status=status,
        segments=1,
        created_at=datetime(2026, 3, 10, 14, tzinfo=UTC),
    )
    session.add(message)
    session.flush()
    item = OutboxItem(message_id=message.id, status="pending", not_before=message.created_at)
    session.add(item)
    session.flush()
    return item


def _close(client, patient, **data):
    page = client.get(f"/patients/{patient.id}/episode/close")
    assert page.status_code == 200
    return client.post(
        f"/patients/{patient.id}/episode/close", data={"csrf_token": csrf(page.text), **data}
    )


def test_completed_ends_the_episode_stops_measures_and_cancels_texts(staff_app, session):
    team, patient, episode, _ = _setup()
    item = _queued_text(session, team, patient)
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        response = _close(client, patient, outcome="completed", note="In remission for 3 months.")
        assert response.status_code == 302
        again = _close(client, patient, outcome="completed", note="In remission for 3 months.")
        assert again.status_code == 302  # posted twice: closed once
        assert "no open episode" in client.get("/").text
    session.expire_all()
    episode = session.get(type(episode), episode.id)
    assert episode.status == "completed" and episode.ended_on == date(2026, 3, 10)
    schedule = session.scalar(
        select(MeasurementSchedule).where(MeasurementSchedule.episode_id == episode.id)
    )
    assert schedule.active is False
    session.expire_all()
    item = session.get(type(item), item.id)
    assert item.status == "cancelled"
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "episode_closed"))


def test_step_down_keeps_the_episode_open_with_a_new_plan_version(staff_app, session):
    team, patient, episode, _ = _setup()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        response = _close(
            client, patient, outcome="relapse_prevention", note="Keep walking; call if sleep slips."
        )
    assert response.status_code == 302
    session.expire_all()
    episode = session.get(type(episode), episode.id)
    assert episode.status == "relapse_prevention" and episode.ended_on is None
    assert episode.cadence_days == 28
    plans = session.scalars(select(CarePlan).where(CarePlan.episode_id == episode.id)).all()
    assert [p.version for p in plans] == [1, 2] and plans[1].signed_at is None
    assert session.scalar(select(MeasurementSchedule.active)) is True


def test_transfer_needs_and_makes_a_referral(staff_app, session):
    team, patient, episode, _ = _setup()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        refused = _close(
            client,
            patient,
            outcome="transferred",
            note="Needs specialty care.",
            referral_kind="psychiatry",
        )
        assert refused.status_code == 422 and "Say who the patient is referred to." in refused.text
        ok = _close(
            client,
            patient,
            outcome="transferred",
            note="Needs specialty care.",
            referral_kind="psychiatry",
            referral_to_whom="County Behavioral Health",
        )
        assert ok.status_code == 302
    session.expire_all()
    episode = session.get(type(episode), episode.id)
    assert episode.status == "transferred"
    referral = session.scalar(select(Referral).where(Referral.patient_id == patient.id))
    assert referral.status == "open" and referral.to_whom == "County Behavioral Health"


def test_disengaged_needs_outreach_attempts_and_a_reentry_path(staff_app, session):
    team, patient, episode, _ = _setup()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        no_path = _close(client, patient, outcome="disengaged", note="No response.")
        assert "Say how the patient can come back to care." in no_path.text
        too_few = _close(
            client, patient, outcome="disengaged", note="No response.", reentry_note="Call us."
        )
        assert "Document at least 3 unanswered calls or messages left" in too_few.text
        session.add(
            Contact(
                patient_id=patient.id,
                episode_id=episode.id,
                staff_id=team.manager.id,
                kind="phone",
                outcome="reached",
                occurred_at=datetime(2026, 2, 1, 15, tzinfo=UTC),
                note="Talked",
            )
        )
        session.add(  # before the patient was last reached: no longer counts
            Contact(
                patient_id=patient.id,
                episode_id=episode.id,
                staff_id=team.manager.id,
                kind="phone",
                outcome="left_message",
                occurred_at=datetime(2026, 1, 20, 15, tzinfo=UTC),
                note="Voicemail",
            )
        )
        for day in (1, 2, 4):
            session.add(
                Contact(
                    patient_id=patient.id,
                    episode_id=episode.id,
                    staff_id=team.manager.id,
                    kind="phone",
                    outcome="no_answer",
                    occurred_at=datetime(2026, 3, day, 15, tzinfo=UTC),
                    note="Rang",
                )
            )
        _queued_text(session, team, patient, status="delivered")
        _queued_text(session, team, patient)  # not yet sent: not an attempt
        page = client.get(f"/patients/{patient.id}/episode/close")
        assert "3 on record" in page.text and "no reply" in page.text
        assert "Feb 01" not in page.text  # the reached call is not an attempt
        ok = _close(
            client,
            patient,
            outcome="disengaged",
            note="No response to three attempts.",
            reentry_note="Ask the front desk for the care manager.",
        )
        assert ok.status_code == 302
    session.expire_all()
    episode = session.get(type(episode), episode.id)
    assert episode.status == "disengaged"
    assert episode.reentry_note == "Ask the front desk for the care manager."


def test_clinician_signs_care_plan_and_care_manager_cannot(staff_app, session):
    team, patient, _, plan = _setup(status="enrolled")
    with freeze_time(NOW):
        manager = signed_in(staff_app, team.manager)
        page = manager.get(f"/patients/{patient.id}/care-plans/{plan.id}")
        assert page.status_code == 200 and "Sign this care plan" not in page.text
        refused = manager.post(
            f"/patients/{patient.id}/care-plans/{plan.id}/sign",
            data={"csrf_token": csrf(page.text)},
        )
        assert refused.status_code == 403
        clinician = signed_in(staff_app, team.clinician)
        listing = clinician.get("/care-plans/to-sign")
        assert patient.full_name in listing.text
        signed = clinician.post(
            f"/patients/{patient.id}/care-plans/{plan.id}/sign",
            data={"csrf_token": csrf(listing.text), "next": "to_sign"},
        )
        assert signed.status_code == 302
        assert patient.full_name not in clinician.get("/care-plans/to-sign").text
    session.expire_all()
    plan = session.get(type(plan), plan.id)
    assert plan.signed_by_id == team.clinician.id
    assert plan.signed_at == datetime(2026, 3, 10, 15, tzinfo=UTC)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "care_plan_signed"))
    assert event.object_id == plan.id and event.staff_id == team.clinician.id


def test_another_clinics_patient_is_not_found(staff_app, session):
    team, _, _, _ = _setup()
    _, stranger, _, plan = _setup()
    with freeze_time(NOW):
        manager = signed_in(staff_app, team.manager)
        assert manager.get(f"/patients/{stranger.id}/episode/close").status_code == 404
        assert manager.get(f"/patients/{stranger.id}/care-plans/{plan.id}").status_code == 404
        clinician = signed_in(staff_app, team.clinician)
        page = clinician.get("/care-plans/to-sign")
        assert stranger.full_name not in page.text
        response = clinician.post(
            f"/patients/{stranger.id}/care-plans/{plan.id}/sign",
            data={"csrf_token": csrf(page.text)},
        )
        assert response.status_code == 404
