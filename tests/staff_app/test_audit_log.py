from freezegun import freeze_time

from cocm.audit import record
from tests.cocm.clinics.helpers import Team, signed_in
from tests.factories import PatientFactory


def test_audit_log_lists_and_filters_events(staff_app, session):
    team, other = Team(), Team()
    patient = PatientFactory(clinic=team.clinic)
    with freeze_time("2026-03-09 15:00:00"):
        record(
            session,
            "chart_view",
            staff_id=team.manager.id,
            clinic_id=team.clinic.id,
            patient_id=patient.id,
        )
    with freeze_time("2026-03-10 15:00:00"):
        record(
            session,
            "contact_recorded",
            staff_id=team.manager.id,
            clinic_id=team.clinic.id,
            patient_id=patient.id,
        )
        record(
            session,
            "chart_view",
            staff_id=other.manager.id,
            clinic_id=other.clinic.id,
            patient_id=987654,
        )
        session.flush()
        client = signed_in(staff_app, team.admin)
        everything = client.get("/audit")
        assert everything.status_code == 200
        assert "<td>contact_recorded</td>" in everything.text and "987654" not in everything.text
        by_action = client.get("/audit?action=chart_view")
        assert "<td>contact_recorded</td>" not in by_action.text
        assert f"<td>{patient.id}</td>" in by_action.text
        by_day = client.get("/audit?since=2026-03-10&until=2026-03-10&action=contact_recorded")
        assert "1 event;" in by_day.text
        by_patient = client.get(f"/audit?patient_id={patient.id}")
        assert "2 events;" in by_patient.text
        by_person = client.get(f"/audit?staff_id={team.lead.id}")
        assert "0 events;" in by_person.text


def test_audit_log_paginates(staff_app, session):
    team = Team()
    with freeze_time("2026-03-10 15:00:00"):
        for n in range(60):
            record(
                session,
                f"event_{n:02d}",
                staff_id=team.manager.id,
                clinic_id=team.clinic.id,
                patient_id=n + 1,
            )
        session.flush()
        client = signed_in(staff_app, team.admin)
        first = client.get("/audit?action=")
        second = client.get("/audit?page=2")
    assert "Page 1 of 2" in first.text and "Older" in first.text
    assert "Page 2 of 2" in second.text and "Newer" in second.text


def test_audit_log_is_for_admins_only(staff_app, session):
    team = Team()
    with freeze_time("2026-03-10 15:00:00"):
        assert signed_in(staff_app, team.manager).get("/audit").status_code == 403
        assert signed_in(staff_app, team.lead).get("/audit").status_code == 403
