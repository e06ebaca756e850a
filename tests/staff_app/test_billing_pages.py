"""Billing pages: the month (last month by default), CSV export, worklist, audit packet, access."""

import csv
import io
import re
from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from cocm import db
from cocm.models import AuditEvent
from tests.cocm.billing.conftest import ClinicBuilder
from tests.cocm.registry.web import sign_in
from tests.factories import staff_with_role


@pytest.fixture
def clock():
    with freeze_time("2026-04-10 14:00:00") as frozen:
        yield frozen


@pytest.fixture
def riverside(session):
    """March 2026 by hand: Adams 99493, Brown 99492 + 99494, Clark (BHI) 5 short, Diaz blocked
    for want of a care plan, Fox active with no minutes."""
    b = ClinicBuilder(session, name="Riverside", timezone="America/New_York")
    b.james = staff_with_role(b.clinic, "care_manager", full_name="James Chen")
    adams = b.episode(b.patient("Avery", "Adams", mrn="A-1"), date(2026, 2, 2))
    b.time(adams, date(2026, 2, 3), 45)
    call = b.contact(adams, date(2026, 3, 3))
    b.time(adams, date(2026, 3, 3), 20, contact=call)
    b.time(adams, date(2026, 3, 3), 15, role="treating_clinician", contact=call)
    b.time(adams, date(2026, 3, 10), 12)
    b.time(adams, date(2026, 3, 17), 30, role="psychiatric_consultant")
    brown = b.episode(b.patient("Blake", "Brown", mrn="B-2"), date(2026, 3, 9))
    for day, minutes in ((9, 45), (16, 25), (18, 20)):
        b.time(brown, date(2026, 3, day), minutes)
    clark = b.episode(b.patient("Casey", "Clark", mrn="C-3"), date(2026, 1, 12), program="bhi")
    b.time(clark, date(2026, 3, 4), 10)
    b.time(clark, date(2026, 3, 11), 5)
    diaz = b.episode(b.patient("Drew", "Diaz", mrn="D-4"), date(2026, 2, 16), plan_at=None)
    b.time(diaz, date(2026, 3, 2), 35)
    b.episode(b.patient("Finn", "Fox", mrn="F-6"), date(2026, 1, 5))
    b.lead = staff_with_role(b.clinic, "clinic_lead", full_name="Sam Rivera")
    b.patients = {"adams": adams.patient_id, "diaz": diaz.patient_id, "clark": clark.patient_id}
    session.flush()
    return b


@pytest.fixture
def elsewhere(session):
    b = ClinicBuilder(session, name="Elsewhere")
    stranger = b.episode(b.patient("Gil", "Green"), date(2026, 2, 2))
    b.time(stranger, date(2026, 3, 5), 90)
    b.stranger_id = stranger.patient_id
    session.flush()
    return b


@pytest.fixture
def lead(staff_app, riverside, clock):
    client = staff_app.test_client()
    sign_in(client, riverside.lead)
    return client


def _rows(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/patients/\d+">([^<]+)</a></th>', html)


def _audit(action: str) -> AuditEvent:
    return db.Session.scalar(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    )


def test_a_clinic_lead_opens_last_months_billing(lead, riverside):
    page = lead.get("/billing")
    assert page.status_code == 200
    html = page.text
    assert "Billing: March 2026" in html
    assert _rows(html) == ["Avery Adams", "Blake Brown", "Casey Clark", "Drew Diaz"]
    assert "<strong>99493</strong>" in html
    assert "<strong>99492, 99494</strong>" in html
    assert "+30 consultant (not counted)" in html
    # The blocked month shows what is missing instead of codes.
    diaz = html[html.index("Drew Diaz") : html.index("Audit packet", html.index("Drew Diaz"))]
    assert "Missing:" in diaz and "no care plan on record by the end of the month" in diaz
    assert "<strong>99" not in diaz
    totals = html[html.index('id="totals-h"') : html.index("</table>", html.index('id="totals-h"'))]
    assert re.findall(r"<td>(\w+)</td><td class=\"num\">(\d+)</td>", totals) == [
        ("99492", "1"),
        ("99493", "1"),
        ("99494", "1"),
    ]
    assert "1 episode active this month with no countable minutes" in html
    event = _audit("billing_month_view")
    assert event.detail["month"] == "2026-03" and event.clinic_id == riverside.clinic.id
    assert sorted(event.detail["patient_ids"]) == sorted(
        [riverside.patients[k] for k in ("adams", "diaz", "clark")] + [_brown(riverside)]
    )
    assert f"/billing/packet/{riverside.patients['adams']}/2026-03" in html


def _brown(riverside):
    from cocm.models import Patient

    return db.Session.scalar(select(Patient.id).where(Patient.mrn == "B-2"))


def test_the_csv_export_matches_the_page_and_is_audited(lead, riverside):
    response = lead.get(f"/billing/export.csv?month=2026-03&clinic={riverside.clinic.id}")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert f"billing-{riverside.clinic.slug}-2026-03.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["patient"], r["minutes"], r["codes"]) for r in rows] == [
        ("Avery Adams", "32", "99493"),
        ("Blake Brown", "90", "99492, 99494"),
        ("Casey Clark", "15", ""),
        ("Drew Diaz", "35", ""),
    ]
    assert rows[3]["missing"] == "no care plan on record by the end of the month"
    event = _audit("billing_month_export")
    assert event.staff_id == riverside.lead.id and event.detail["rows"] == 4
    assert len(event.detail["patient_ids"]) == 4


def test_the_audit_packet_is_printable_and_audited(lead, riverside):
    adams = riverside.patients["adams"]
    page = lead.get(f"/billing/packet/{adams}/2026-03")
    assert page.status_code == 200
    html = page.text
    assert "Audit packet: Adams, Avery · March 2026" in html
    for heading in (
        "Time log",
        "Diagnosis targets",
        "Care plan",
        "Case review",
        "Next contact",
        "Consent",
    ):
        assert heading in html
    assert 'Total counted</th><td class="num"><strong>32</strong>' in html
    assert "No: consultant minutes are recorded, not counted" in html
    assert re.search(r"32 countable minutes · later month ·\s*<strong>99493</strong>", html)
    assert "<script" not in html
    event = _audit("billing_packet_view")
    assert event.patient_id == adams and event.detail["month"] == "2026-03"


def test_the_month_end_worklist_groups_by_care_manager(staff_app, riverside, session):
    evans = riverside.episode(
        riverside.patient("Eli", "Evans", mrn="E-5", care_manager_id=riverside.james.id),
        date(2026, 3, 2),
    )
    riverside.time(evans, date(2026, 3, 3), 12)
    session.flush()
    with freeze_time("2026-03-20 14:00:00"):
        client = staff_app.test_client()
        sign_in(client, riverside.lead)
        page = client.get("/billing/worklist")
    assert page.status_code == 200
    html = page.text
    assert "Month-end worklist: March 2026" in html and "12 days left" in html
    james, maria = html.index("James Chen"), html.index("Maria Lopez")
    assert james < maria
    # Evans: 12 minutes, 4 more for G2214. Clark (BHI): 15, 5 more for 99484.
    assert re.search(r"Eli Evans</a></th>.*?<strong>4</strong></td>\s*<td>G2214", html, re.S)
    assert re.search(r"Casey Clark</a></th>.*?<strong>5</strong></td>\s*<td>99484", html, re.S)
    assert "Blake Brown" not in html  # 26 minutes from the next 99494
    # Diaz: 35 minutes in the initial month, 1 short of 99492, and the care plan is missing.
    assert re.search(
        r"Drew Diaz</a></th>.*?<strong>1</strong></td>\s*<td>99492.*?Missing</span> no care plan",
        html,
        re.S,
    )
    assert _audit("billing_worklist_view").detail["rows"] == 3


@pytest.mark.parametrize(
    "url", ["/billing", "/billing/export.csv", "/billing/worklist", "/billing/packet/{p}/2026-03"]
)
def test_care_managers_and_clinicians_get_403(staff_app, riverside, clock, url):
    for staff in (riverside.manager, riverside.clinician):
        client = staff_app.test_client()
        sign_in(client, staff)
        assert client.get(url.format(p=riverside.patients["adams"])).status_code == 403


def test_admins_may_open_billing(staff_app, riverside, clock):
    admin = staff_with_role(riverside.clinic, "admin")
    client = staff_app.test_client()
    sign_in(client, admin)
    page = client.get("/billing")
    assert page.status_code == 200 and "Billing: March 2026" in page.text
    # No clinical role: names without chart links, the packet link stays.
    assert "Avery Adams</th>" in page.text and 'href="/patients/' not in page.text
    assert client.get(f"/billing/packet/{riverside.patients['adams']}/2026-03").status_code == 200


def test_another_clinic_is_a_404(staff_app, riverside, elsewhere, clock):
    db.Session.commit()  # keep both clinics through the refused requests (they roll back)
    client = staff_app.test_client()
    sign_in(client, riverside.lead)
    assert client.get(f"/billing?clinic={elsewhere.clinic.id}").status_code == 404
    assert client.get(f"/billing/export.csv?clinic={elsewhere.clinic.id}").status_code == 404
    assert client.get(f"/billing/worklist?clinic={elsewhere.clinic.id}").status_code == 404
    assert client.get(f"/billing/packet/{elsewhere.stranger_id}/2026-03").status_code == 404
    assert client.get("/billing?clinic=banana").status_code == 404
    # The other clinic's own lead sees that patient: the 404s were about access.
    theirs = staff_app.test_client()
    sign_in(theirs, staff_with_role(elsewhere.clinic, "clinic_lead"))
    assert "Gil Green" in theirs.get("/billing").text
    assert theirs.get(f"/billing/packet/{elsewhere.stranger_id}/2026-03").status_code == 200


def test_a_bad_month_is_explained(lead, riverside):
    page = lead.get("/billing?month=2026-13")
    assert page.status_code == 400
    assert "is not a month: use YYYY-MM" in page.text
    assert lead.get("/billing/export.csv?month=March").status_code == 400
    assert lead.get(f"/billing/packet/{riverside.patients['adams']}/2026-3").status_code == 404


def test_a_running_month_says_so_and_links_the_worklist(lead):
    page = lead.get("/billing?month=2026-04")
    assert page.status_code == 200
    assert "This month is not over yet" in page.text
    assert "No countable minutes were logged in April 2026." in page.text


def test_the_month_comes_a_page_at_a_time_with_the_whole_months_totals(
    lead, riverside, monkeypatch
):
    import staff_app.views.billing as billing_views

    monkeypatch.setattr(billing_views, "PER_PAGE", 2)
    clinic = riverside.clinic.id
    first = lead.get(f"/billing?month=2026-03&clinic={clinic}").text
    assert _rows(first) == ["Avery Adams", "Blake Brown"]
    assert "Page 1 of 2" in first and "4 with minutes" in first
    assert f"/billing?month=2026-03&amp;clinic={clinic}&amp;show=all&amp;page=2" in first
    second = lead.get(f"/billing?month=2026-03&clinic={clinic}&show=all&page=2").text
    assert _rows(second) == ["Casey Clark", "Drew Diaz"]
    for html in (first, second):  # the totals are the month's, whichever page
        totals = html[
            html.index('id="totals-h"') : html.index("</table>", html.index('id="totals-h"'))
        ]
        assert re.findall(r"<td>(\w+)</td><td class=\"num\">(\d+)</td>", totals) == [
            ("99492", "1"),
            ("99493", "1"),
            ("99494", "1"),
        ]
    # The page audited names the patients on it.
    assert sorted(_audit("billing_month_view").detail["patient_ids"]) == sorted(
        [riverside.patients["clark"], riverside.patients["diaz"]]
    )
    # A page past the end shows the last; a filter keeps the rows of one kind.
    assert _rows(lead.get(f"/billing?month=2026-03&clinic={clinic}&page=9").text) == [
        "Casey Clark",
        "Drew Diaz",
    ]
    missing = lead.get(f"/billing?month=2026-03&clinic={clinic}&show=missing").text
    assert _rows(missing) == ["Drew Diaz"] and "Page 1 of" not in missing
    billable = lead.get(f"/billing?month=2026-03&clinic={clinic}&show=billable").text
    assert _rows(billable) == ["Avery Adams", "Blake Brown"]
    assert _rows(lead.get(f"/billing?month=2026-03&clinic={clinic}&show=nonsense").text) == [
        "Avery Adams",
        "Blake Brown",
    ]
    # The export is still the whole month.
    export = lead.get(f"/billing/export.csv?month=2026-03&clinic={clinic}").text
    assert [r["patient"] for r in csv.DictReader(io.StringIO(export))] == [
        "Avery Adams",
        "Blake Brown",
        "Casey Clark",
        "Drew Diaz",
    ]
