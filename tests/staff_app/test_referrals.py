from freezegun import freeze_time
from sqlalchemy import func, select

from cocm.models import AuditEvent, Referral
from tests.cocm.clinics.helpers import Team, csrf, signed_in
from tests.factories import EpisodeFactory, PatientFactory

NOW = "2026-03-10 15:00:00"


def _setup():
    team = Team()
    patient = PatientFactory(clinic=team.clinic)
    EpisodeFactory(patient=patient)
    return team, patient


def test_referral_is_tracked_until_seen(staff_app, session):
    team, patient = _setup()
    base = f"/patients/{patient.id}/referrals"
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        page = client.get(f"{base}/new")
        data = {
            "csrf_token": csrf(page.text),
            "kind": "therapy",
            "to_whom": "Riverside Counseling",
        }
        assert client.post(f"{base}/new", data=data).status_code == 302
        assert client.post(f"{base}/new", data=data).status_code == 302  # posted twice
        referral = session.scalar(select(Referral).where(Referral.patient_id == patient.id))
        assert referral.due_by.isoformat() == "2026-04-09" and referral.status == "open"
        listing = client.get(base)
        assert "Riverside Counseling" in listing.text
        token = csrf(listing.text)
        update = f"{base}/{referral.id}/update"
        refused = client.post(update, data={"csrf_token": token, "status": "seen"})
        assert refused.status_code == 422 and "Enter the day the patient was seen." in refused.text
        ok = client.post(
            update, data={"csrf_token": token, "status": "scheduled", "on": "2026-03-20"}
        )
        assert ok.status_code == 302
        ok = client.post(update, data={"csrf_token": token, "status": "seen", "on": "2026-03-10"})
        assert ok.status_code == 302
    assert session.scalar(select(func.count()).select_from(Referral)) == 1
    session.expire_all()
    referral = session.get(type(referral), referral.id)
    assert referral.status == "seen" and referral.seen_on.isoformat() == "2026-03-10"
    actions = set(
        session.scalars(select(AuditEvent.action).where(AuditEvent.patient_id == patient.id))
    )
    assert {"referral_created", "referral_updated"} <= actions


def test_overdue_list_shows_referrals_not_seen_in_time(staff_app, session):
    team, patient = _setup()
    with freeze_time("2026-03-01 15:00:00"):
        client = signed_in(staff_app, team.manager)
        page = client.get(f"/patients/{patient.id}/referrals/new")
        client.post(
            f"/patients/{patient.id}/referrals/new",
            data={"csrf_token": csrf(page.text), "kind": "psychiatry", "to_whom": "Dr. Alvarez"},
        )
    with freeze_time("2026-03-31 15:00:00"):
        client = signed_in(staff_app, team.manager)
        assert "Dr. Alvarez" not in client.get("/referrals/overdue").text
    with freeze_time("2026-04-01 15:00:00"):
        client = signed_in(staff_app, team.manager)
        overdue = client.get("/referrals/overdue")
        assert "Dr. Alvarez" in overdue.text


def test_clinicians_see_but_do_not_make_referrals(staff_app, session):
    team, patient = _setup()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.clinician)
        assert client.get(f"/patients/{patient.id}/referrals").status_code == 200
        assert client.get(f"/patients/{patient.id}/referrals/new").status_code == 403


def test_another_clinics_patient_is_not_found(staff_app, session):
    team, _ = _setup()
    other = Team()
    stranger = PatientFactory(clinic=other.clinic)
    referral = Referral(
        patient_id=stranger.id, kind="therapy", to_whom="X", created_by_id=other.manager.id
    )
    session.add(referral)
    session.flush()
    with freeze_time(NOW):
        client = signed_in(staff_app, team.manager)
        assert client.get(f"/patients/{stranger.id}/referrals").status_code == 404
        assert client.get(f"/patients/{stranger.id}/referrals/new").status_code == 404
        page = client.get("/referrals/overdue")
        response = client.post(
            f"/patients/{stranger.id}/referrals/{referral.id}/update",
            data={"csrf_token": csrf(page.text), "status": "cancelled", "note": "x"},
        )
        assert response.status_code == 404
