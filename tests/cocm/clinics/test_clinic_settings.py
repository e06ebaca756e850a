from dataclasses import replace
from datetime import time

import pytest

from cocm.clinics.checklist import ready, setup_checklist
from cocm.clinics.errors import ClinicError
from cocm.clinics.settings import ClinicSettings, update_settings
from cocm.clinics.staff import NewStaff, add_staff, set_active, update_staff
from tests.cocm.clinics.helpers import Team
from tests.factories import ClinicFactory, staff_with_role


def _settings(team, **overrides) -> ClinicSettings:
    base = ClinicSettings(
        name="Riverside",
        timezone="America/New_York",
        text_window_start=time(8),
        text_window_end=time(21),
        hours_start=time(8),
        hours_end=time(17),
        open_weekdays=[1, 2, 3, 4, 5],
        escalation_minutes=15,
        default_cadence_days=14,
        response_cadence_days=28,
        idle_timeout_minutes=15,
        sms_number="+12025550150",
        review_weekday=3,
        review_time=time(12),
        on_call_id=team.manager.id,
        chain_ids=[team.clinician.id, team.lead.id],
    )
    return replace(base, **overrides)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"text_window_end": time(21, 30)}, "text_window_start"),
        ({"text_window_start": time(12), "text_window_end": time(12)}, "text_window_start"),
        ({"hours_start": time(18)}, "hours_start"),
        ({"open_weekdays": []}, "open_weekdays"),
        ({"timezone": "America/Atlantis"}, "timezone"),
        ({"sms_number": "12"}, "sms_number"),
        ({"messaging_service_sid": "MG123"}, "messaging_service_sid"),
        ({"response_cadence_days": 7}, "response_cadence_days"),
        ({"review_time": None}, "review_weekday"),
        ({"idle_timeout_minutes": 1}, "idle_timeout_minutes"),
        ({"on_call_id": None}, "on_call_id"),
        ({"chain_ids": [999999]}, "chain_ids"),
    ],
)
def test_invalid_settings_change_nothing(session, overrides, field):
    team = Team()
    before = team.clinic.text_window_end
    with pytest.raises(ClinicError) as error:
        update_settings(session, team.clinic, _settings(team, **overrides))
    assert error.value.field == field
    assert team.clinic.text_window_end == before


def test_chain_member_needs_a_pager_phone(session):
    team = Team()
    with pytest.raises(ClinicError, match="no phone number for pages"):
        update_settings(session, team.clinic, _settings(team, on_call_id=team.consultant.id))


def test_changes_are_reported(session):
    team = Team()
    changes = update_settings(
        session, team.clinic, _settings(team, text_window_start=time(9), chain_ids=[team.lead.id])
    )
    assert changes["text_window_start"] == ["08:00", "09:00"]
    assert changes["escalation_chain"][1] == [team.manager.id, team.lead.id]
    assert (
        update_settings(
            session,
            team.clinic,
            _settings(team, text_window_start=time(9), chain_ids=[team.lead.id]),
        )
        == {}
    )


def test_checklist(session):
    clinic = ClinicFactory(sms_number=None)
    checks = {c.key: c.done for c in setup_checklist(session, clinic)}
    assert not any(checks.values())
    assert ready(setup_checklist(session, Team().clinic))


def test_staff_added_once_and_existing_accounts_get_roles(session):
    team, other = Team(), Team()
    data = NewStaff("p@example.org", "Pat", "long-enough-1", ["care_manager"], "202-555-0111")
    staff, created = add_staff(session, team.clinic, data)
    assert created and staff.phone == "+12025550111"
    with pytest.raises(ClinicError, match="already works here"):
        add_staff(session, team.clinic, data)
    again, created = add_staff(session, other.clinic, data)
    assert again.id == staff.id and not created
    with pytest.raises(ClinicError, match="clinic you do not manage"):
        set_active(session, staff, False, admin_clinic_ids={team.clinic.id}, acting=team.admin)


def test_admins_cannot_lock_themselves_out(session):
    team = Team()
    with pytest.raises(ClinicError, match="own admin role"):
        update_staff(
            session, team.admin, team.clinic, roles=[], phone=None, full_name="A", acting=team.admin
        )
    with pytest.raises(ClinicError, match="own account"):
        set_active(session, team.admin, False, admin_clinic_ids={team.clinic.id}, acting=team.admin)
    with pytest.raises(ClinicError, match="escalation chain"):
        set_active(session, team.lead, False, admin_clinic_ids={team.clinic.id}, acting=team.admin)
    helper = staff_with_role(team.clinic, "care_manager")
    assert set_active(session, helper, False, admin_clinic_ids={team.clinic.id}, acting=team.admin)
