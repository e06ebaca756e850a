from datetime import time

from freezegun import freeze_time
from sqlalchemy import select

from cocm.models import AuditEvent, Clinic, EscalationStep, Membership, Staff
from tests.cocm.clinics.helpers import Team, csrf, signed_in
from tests.factories import ClinicFactory, staff_with_role

NOW = "2026-03-10 15:00:00"


def _settings_form(html, team, **overrides):
    data = {
        "csrf_token": csrf(html),
        "name": team.clinic.name,
        "phone_display": "(202) 555-0100",
        "sms_number": "+1 202 555 0199",
        "timezone": "America/Chicago",
        "text_window_start": "09:00",
        "text_window_end": "20:00",
        "hours_start": "08:00",
        "hours_end": "17:00",
        "open_weekdays": ["1", "2", "3", "4", "5"],
        "escalation_minutes": "15",
        "on_call_id": str(team.manager.id),
        "chain_ids-0": str(team.clinician.id),
        "chain_ids-1": str(team.lead.id),
        "default_cadence_days": "14",
        "response_cadence_days": "28",
        "review_weekday": "4",
        "review_time": "13:00",
        "idle_timeout_minutes": "20",
        "disengage_after_attempts": "3",
        "use_first_names": "y",
        "enrollment_script": "Our own words.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_settings_are_saved_and_audited(staff_app, session):
    team = Team()
    url = f"/admin/clinics/{team.clinic.id}/settings"
    with freeze_time(NOW):
        client = signed_in(staff_app, team.admin)
        page = client.get(url)
        assert page.status_code == 200
        response = client.post(url, data=_settings_form(page.text, team))
    assert response.status_code == 302, response.text
    session.expire_all()
    clinic = session.get(Clinic, team.clinic.id)
    assert clinic.sms_number == "+12025550199" and clinic.timezone == "America/Chicago"
    assert clinic.text_window_start == time(9) and clinic.review_time == time(13)
    assert clinic.idle_timeout_minutes == 20 and clinic.enrollment_script == "Our own words."
    chain = session.scalars(
        select(EscalationStep.staff_id)
        .where(EscalationStep.clinic_id == clinic.id)
        .order_by(EscalationStep.position)
    ).all()
    assert chain == [team.manager.id, team.clinician.id, team.lead.id]
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "clinic_settings_changed"))
    assert event.clinic_id == clinic.id and "timezone" in event.detail["changes"]


def test_texting_window_outside_8_to_21_is_refused(staff_app, session):
    team = Team()
    url = f"/admin/clinics/{team.clinic.id}/settings"
    with freeze_time(NOW):
        client = signed_in(staff_app, team.admin)
        page = client.get(url)
        early = client.post(url, data=_settings_form(page.text, team, text_window_start="07:30"))
        backwards = client.post(
            url,
            data=_settings_form(
                page.text, team, text_window_start="15:00", text_window_end="10:00"
            ),
        )
        bad_zone = client.post(url, data=_settings_form(page.text, team, timezone="Mars/Base"))
        no_lead = client.post(url, data=_settings_form(page.text, team, **{"chain_ids-1": ""}))
    assert early.status_code == 422 and "between 08:00 and 21:00" in early.text
    assert 'value="09:00"' not in early.text and 'value="07:30"' in early.text  # input kept
    assert "must start before it ends" in backwards.text
    assert "Choose a time zone from the list" in bad_zone.text
    assert "The chain must end with a clinic lead." in no_lead.text
    session.expire_all()
    assert session.get(Clinic, team.clinic.id).text_window_start == time(8)


def test_checklist_shows_what_is_missing(staff_app, session):
    clinic = ClinicFactory(sms_number=None)
    admin = staff_with_role(clinic, "admin")
    staff_with_role(clinic, "care_manager")
    with freeze_time(NOW):
        client = signed_in(staff_app, admin)
        page = client.get("/admin")
    assert page.status_code == 200
    assert "Not ready" in page.text
    assert 'class="done">At least one care manager' in page.text
    assert 'class="todo">Texting number or Messaging Service' in page.text
    assert 'class="todo">A psychiatric consultant' in page.text
    team = Team()
    with freeze_time(NOW):
        ready = signed_in(staff_app, team.admin).get("/admin")
    assert "Ready" in ready.text


def test_add_staff_change_roles_and_deactivate(staff_app, session):
    team = Team()
    base = f"/admin/clinics/{team.clinic.id}/staff"
    with freeze_time(NOW):
        client = signed_in(staff_app, team.admin)
        page = client.get(f"{base}/new")
        data = {
            "csrf_token": csrf(page.text),
            "email": "New.Person@Example.org",
            "full_name": "New Person",
            "password": "temporary-pass-1",
            "phone": "202-555-0177",
            "roles": ["care_manager"],
        }
        short = client.post(f"{base}/new", data={**data, "password": "short"})
        assert short.status_code == 422 and "at least 10 characters" in short.text
        assert client.post(f"{base}/new", data=data).status_code == 302
        again = client.post(f"{base}/new", data=data)
        assert again.status_code == 422 and "already works here" in again.text
        person = session.scalar(select(Staff).where(Staff.email == "new.person@example.org"))
        assert person.phone == "+12025550177"
        edit = client.get(f"{base}/{person.id}")
        changed = client.post(
            f"{base}/{person.id}",
            data={
                "csrf_token": csrf(edit.text),
                "full_name": "New Person",
                "phone": "202-555-0177",
                "roles": ["care_manager", "clinic_lead"],
            },
        )
        assert changed.status_code == 302
        off = client.post(f"{base}/{person.id}/deactivate", data={"csrf_token": csrf(edit.text)})
        assert off.status_code == 302
        self_off = client.post(
            f"{base}/{team.admin.id}/deactivate", data={"csrf_token": csrf(edit.text)}
        )
        assert self_off.status_code == 302
    session.expire_all()
    person = session.get(Staff, person.id)
    assert person.is_active is False
    roles = set(session.scalars(select(Membership.role).where(Membership.staff_id == person.id)))
    assert roles == {"care_manager", "clinic_lead"}
    assert session.get(Staff, team.admin.id).is_active is True
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"staff_added", "staff_changed", "staff_deactivated"} <= actions


def test_admin_pages_are_for_admins_of_that_clinic(staff_app, session):
    team, other = Team(), Team()
    with freeze_time(NOW):
        manager = signed_in(staff_app, team.manager)
        assert manager.get("/admin").status_code == 403
        admin = signed_in(staff_app, team.admin)
        assert admin.get(f"/admin/clinics/{other.clinic.id}/settings").status_code == 404
        assert admin.get(f"/admin/clinics/{other.clinic.id}/staff/new").status_code == 404
        assert (
            admin.get(f"/admin/clinics/{team.clinic.id}/staff/{other.manager.id}").status_code
            == 404
        )
