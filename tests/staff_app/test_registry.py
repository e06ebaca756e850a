"""The registry page: columns, flags as chips, sort and filter, CSV export (audited)."""

import csv
import io
import re
from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from cocm import db
from cocm.models import AuditEvent
from tests.cocm.registry.builders import (
    assessment,
    at,
    contact,
    count_statements,
    queue_item,
    reviewed,
    schedule,
    time_entry,
)
from tests.cocm.registry.web import sign_in
from tests.factories import (
    ClinicFactory,
    EpisodeFactory,
    MembershipFactory,
    PatientFactory,
    staff_with_role,
)


@pytest.fixture
def clock():
    with freeze_time("2026-03-16 15:00:00") as frozen:
        yield frozen


@pytest.fixture
def clinic(session):
    return ClinicFactory(name="Riverside", timezone="America/New_York")


@pytest.fixture
def manager(clinic):
    return staff_with_role(clinic, "care_manager", full_name="Maria Lopez")


@pytest.fixture
def colleague(clinic):
    return staff_with_role(clinic, "care_manager", full_name="James Chen")


def _episode(clinic, manager, last_name, **kwargs):
    patient = PatientFactory(
        clinic=clinic, care_manager_id=manager.id, first_name="Ana", last_name=last_name
    )
    return EpisodeFactory(patient=patient, **kwargs)


@pytest.fixture
def client(staff_app, manager, clock):
    client = staff_app.test_client()
    sign_in(client, manager)
    return client


def _names(html: str) -> list[str]:
    return re.findall(r'<a href="/patients/\d+">([^<]+)</a>', html)


def test_columns_of_a_row(client, clinic, manager):
    ep = _episode(clinic, manager, "Ruiz")
    p = ep.patient
    assessment(p, ep, "PHQ-9", 18, at("2026-01-05"))
    assessment(p, ep, "PHQ-9", 9, at("2026-03-02"))
    assessment(p, ep, "GAD-7", 12, at("2026-01-05"))
    assessment(p, ep, "GAD-7", 6, at("2026-03-02"))
    contact(
        p,
        ep,
        manager,
        at("2026-03-09"),
        next_contact_at=at("2026-03-23"),
        next_contact_confirmed_at=at("2026-03-10"),
        next_action="Review sleep diary",
    )
    time_entry(p, ep, manager, date(2026, 2, 9), 40)
    time_entry(p, ep, manager, date(2026, 3, 9), 20)
    text = client.get("/registry?cm=all").text
    assert "Ruiz, Ana" in text and f"<td>{p.mrn}</td>" in text and "<td>Maria Lopez</td>" in text
    assert "<td>Maria Lopez</td>" not in client.get("/registry").text  # my patients: no column
    assert '<td class="status">active' in text
    assert "Jan 5" in text and "Mar 2" in text and "Mar 9" in text and "Mar 23" in text
    assert "<strong>9</strong>" in text and "−50%" in text
    assert "confirmed" in text and "Review sleep diary" in text
    assert "20/31" in text and "99493" in text and "11 min to 99493" in text
    assert '<td class="num">10</td>' in text  # weeks in treatment


def test_flags_show_as_chips_with_counts(client, clinic, manager):
    risky = _episode(clinic, manager, "Risky")
    queue_item(risky.patient, at("2026-03-16", 14), kind="risk_words")
    late = _episode(clinic, manager, "Late")
    schedule(late, at("2026-03-01"))
    for ep in (risky, late):
        reviewed(ep.patient, ep, at("2026-03-01"))
        contact(ep.patient, ep, manager, at("2026-01-10"))
    text = client.get("/registry").text
    assert re.search(r'flag=risk"[^>]*>Risk <span class="count">1</span>', text)
    assert re.search(
        r'flag=measure_overdue"[^>]*>Measure overdue <span class="count">1</span>', text
    )
    assert (
        'title="Risk: Open urgent queue item"' in text
        and 'title="Measure overdue: Due Mar 1"' in text
    )
    only = client.get("/registry?flag=measure_overdue").text
    assert _names(only) == ["Late, Ana"]


def test_my_patients_by_default_for_care_managers(client, clinic, manager, colleague):
    _episode(clinic, manager, "Mine")
    _episode(clinic, colleague, "Theirs")
    assert _names(client.get("/registry").text) == ["Mine, Ana"]
    assert sorted(_names(client.get("/registry?cm=all").text)) == ["Mine, Ana", "Theirs, Ana"]
    assert _names(client.get(f"/registry?cm={colleague.id}").text) == ["Theirs, Ana"]


def test_leads_see_everyone_by_default(staff_app, clock, clinic, manager, colleague):
    _episode(clinic, manager, "Mine")
    _episode(clinic, colleague, "Theirs")
    lead = staff_with_role(clinic, "clinic_lead")
    client = staff_app.test_client()
    sign_in(client, lead)
    assert sorted(_names(client.get("/registry").text)) == ["Mine, Ana", "Theirs, Ana"]


def test_status_filter(client, clinic, manager):
    _episode(clinic, manager, "Open")
    _episode(clinic, manager, "Done", status="completed", ended_on=date(2026, 3, 1))
    assert _names(client.get("/registry").text) == ["Open, Ana"]
    both = client.get("/registry?status=active&status=completed").text
    assert sorted(_names(both)) == ["Done, Ana", "Open, Ana"]
    assert _names(client.get("/registry?status=completed").text) == ["Done, Ana"]


def test_sort_by_column_and_direction(client, clinic, manager):
    for name, total in (("Alpha", 12), ("Bravo", 20), ("Charlie", 5)):
        ep = _episode(clinic, manager, name)
        assessment(ep.patient, ep, "PHQ-9", total, at("2026-03-02"))
    asc = _names(client.get("/registry?sort=phq9_last").text)
    assert asc == ["Charlie, Ana", "Alpha, Ana", "Bravo, Ana"]
    desc_page = client.get("/registry?sort=phq9_last&dir=desc").text
    assert _names(desc_page) == ["Bravo, Ana", "Alpha, Ana", "Charlie, Ana"]
    assert 'aria-sort="descending"' in desc_page


def test_clinic_filter_and_other_clinics_hidden(staff_app, clock, clinic, manager):
    other = ClinicFactory(name="Hillcrest")
    _episode(clinic, manager, "Here")
    _episode(other, staff_with_role(other, "care_manager"), "Elsewhere")
    lead = staff_with_role(clinic, "clinic_lead")
    client = staff_app.test_client()
    sign_in(client, lead)
    assert _names(client.get("/registry").text) == ["Here, Ana"]
    assert _names(client.get(f"/registry?clinic={other.id}").text) == ["Here, Ana"]
    MembershipFactory(staff=lead, clinic=other, role="clinic_lead")
    both = client.get("/registry").text
    assert sorted(_names(both)) == ["Elsewhere, Ana", "Here, Ana"]
    assert _names(client.get(f"/registry?clinic={other.id}").text) == ["Elsewhere, Ana"]


def test_csv_export_is_audited(client, clinic, manager):
    ep = _episode(clinic, manager, "=cmd|' /C calc'!A0")
    assessment(ep.patient, ep, "PHQ-9", 14, at("2026-03-02"))
    queue_item(ep.patient, at("2026-03-16", 14), kind="risk_answer")
    response = client.get("/registry/export.csv?flag=risk")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1
    assert rows[0]["last_name"].startswith("'=")  # a formula is defused
    assert rows[0]["phq9_last"] == "14" and rows[0]["risk"] == "yes"
    event = db.Session.scalars(
        select(AuditEvent).where(AuditEvent.action == "registry_export")
    ).one()
    assert event.detail["patient_ids"] == [ep.patient_id]
    assert event.detail["filters"]["flag"] == "risk"


def test_registry_view_is_audited(client, clinic, manager):
    _episode(clinic, manager, "Seen")
    client.get("/registry")
    event = db.Session.scalars(select(AuditEvent).where(AuditEvent.action == "registry_view")).one()
    assert event.detail["rows"] == 1


def test_rows_link_to_the_chart(client, clinic, manager):
    ep = _episode(clinic, manager, "Linked")
    assert f'href="/patients/{ep.patient_id}"' in client.get("/registry").text


def test_statement_count_does_not_grow(client, engine, clinic, manager):
    def add(n):
        for _ in range(n):
            ep = _episode(clinic, manager, "Many")
            assessment(ep.patient, ep, "PHQ-9", 12, at("2026-03-02"))
            contact(ep.patient, ep, manager, at("2026-03-02"), next_contact_at=at("2026-03-09"))
            time_entry(ep.patient, ep, manager, date(2026, 3, 2), 15)

    add(5)
    with count_statements(engine) as small:
        assert client.get("/registry").status_code == 200
    add(35)
    with count_statements(engine) as large:
        assert client.get("/registry").status_code == 200
    assert len(small) == len(large)


def test_unknown_filter_values_fall_back(client, clinic, manager):
    _episode(clinic, manager, "Robust")
    page = client.get("/registry?sort=nope&flag=nope&status=nope&cm=nope&clinic=abc")
    assert page.status_code == 200 and "Robust, Ana" in page.text


def test_large_registries_are_paged(client, clinic, manager, monkeypatch):
    from staff_app.views import registry as view

    monkeypatch.setattr(view, "PAGE_SIZE", 2)
    for name in ("Able", "Baker", "Cole", "Dunn", "Egan"):
        _episode(clinic, manager, name)
    first = client.get("/registry?sort=patient").text
    assert _names(first) == ["Able, Ana", "Baker, Ana"]
    assert "showing 1–2 of 5" in first and "Page 1 of 3" in first
    third = client.get("/registry?sort=patient&page=3").text
    assert _names(third) == ["Egan, Ana"]
    assert _names(client.get("/registry?sort=patient&page=99").text) == ["Egan, Ana"]
    # The chips and the export still count every row.
    assert re.search(r'>All <span class="count">5</span>', first)
    assert client.get("/registry/export.csv").text.count("\r\n") == 6
