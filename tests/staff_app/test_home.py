"""The role-aware home page: care managers see their queue and caseload flags as links."""

import re

import pytest
from freezegun import freeze_time

from tests.cocm.registry.builders import at, queue_item
from tests.cocm.registry.web import sign_in
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory, staff_with_role


@pytest.fixture
def clock():
    with freeze_time("2026-03-16 15:00:00") as frozen:
        yield frozen


def test_care_manager_sees_queue_and_flag_counts(staff_app, session, clock):
    clinic = ClinicFactory()
    manager = staff_with_role(clinic, "care_manager")
    patient = PatientFactory(clinic=clinic, care_manager_id=manager.id)
    EpisodeFactory(patient=patient)
    queue_item(patient, at("2026-03-16", 14), kind="risk_words")
    queue_item(patient, at("2026-03-16", 13), kind="needs_person")
    queue_item(PatientFactory(clinic=ClinicFactory()), at("2026-03-16", 13))  # not theirs
    client = staff_app.test_client()
    sign_in(client, manager)
    text = client.get("/").text
    assert re.search(r'href="/queue"[^>]*>Urgent open <span class="count">1</span>', text)
    assert re.search(r'>Other open <span class="count">1</span>', text)
    assert re.search(
        r'href="/registry\?cm=me&amp;flag=risk"[^>]*>Risk <span class="count">1</span>', text
    )
    assert "1 open episode." in text


def test_other_roles_see_their_starting_points(staff_app, session, clock):
    clinic = ClinicFactory()
    lead = staff_with_role(clinic, "clinic_lead")
    client = staff_app.test_client()
    sign_in(client, lead)
    text = client.get("/").text
    assert "Urgent open" not in text
    assert 'href="/registry?cm=all&amp;flag=risk">Patients at risk' in text
    assert 'href="/queue">Response queue' in text
