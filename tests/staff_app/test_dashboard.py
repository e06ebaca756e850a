"""The quality dashboard page: figures per care manager linked to their patients, SVG trends,
audit, and access (clinic leads only; another clinic is a 404)."""

import re
from html import unescape

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from cocm import db
from cocm.models import AuditEvent
from tests.cocm.quality.conftest import build_quality_clinic
from tests.cocm.registry.web import sign_in
from tests.factories import ClinicFactory, staff_with_role


@pytest.fixture
def clock():
    with freeze_time("2026-04-15 15:00:00") as frozen:
        yield frozen


@pytest.fixture
def qc(session):
    found = build_quality_clinic(session)
    db.Session.commit()
    return found


@pytest.fixture
def lead(staff_app, qc, clock):
    client = staff_app.test_client()
    sign_in(client, qc.lead)
    return client


def _audit(action: str) -> AuditEvent:
    return db.Session.scalar(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())
    )


def _names(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/patients/\d+">([^<]+)</a></th>', html)


def test_last_months_figures_per_care_manager_link_to_their_patients(lead, qc):
    page = lead.get("/dashboard")
    assert page.status_code == 200
    html = unescape(page.text)
    assert "Quality dashboard: March 2026" in html
    clinic = qc.clinic.id
    engagement = f"/dashboard/patients?measure=engagement&month=2026-03&clinic={clinic}"
    # Whole clinic: 4 of 6 engaged; Maria 3 of 3; James 0 of 2; no care manager 1 of 1.
    assert f'<a href="{engagement}" title="Engaged: 4 of 6">67%</a>' in html
    assert f'<a href="{engagement}&cm={qc.maria.id}" title="Engaged: 3 of 3">100%</a>' in html
    assert f'<a href="{engagement}&cm={qc.james.id}" title="Engaged: 0 of 2">0%</a>' in html
    assert f'<a href="{engagement}&cm=none" title="Engaged: 1 of 1">100%</a>' in html
    assert 'title="Improved at 10+ weeks: 2 of 4">50%</a>' in html
    assert 'title="Not improving, reviewed: 1 of 2">50%</a>' in html
    assert 'title="Registry complete: 2 of 5">40%</a>' in html
    # Caseload per FTE: James has 2 patients on 0.5 FTE.
    assert re.search(r"0\.5 FTE · <strong>4</strong> per FTE", html)
    # Risk items: median 10 min, 90th percentile 30 min to acknowledge.
    assert "10 min / 30 min" in html
    # Seven server-drawn charts, no chart script.
    assert html.count("<svg") == 7 and "<script" not in html
    assert "Last 6 months: Whole clinic" in html
    event = _audit("dashboard_view")
    assert event.clinic_id == clinic and event.detail["month"] == "2026-03"


def test_a_figure_opens_the_list_of_patients_behind_it(lead, qc):
    page = lead.get(f"/dashboard/patients?measure=engagement&month=2026-03&clinic={qc.clinic.id}")
    assert page.status_code == 200
    html = unescape(page.text)
    assert "Engaged: Whole clinic, March 2026" in html and "4 of 6 (67%)" in html
    assert _names(html) == [
        "Clark, Pat",
        "Diaz, Pat",
        "Adams, Pat",
        "Brown, Pat",
        "Evans, Pat",
        "Green, Pat",
    ]
    event = _audit("dashboard_patients_view")
    assert event.detail["measure"] == "engagement"
    assert sorted(event.detail["patient_ids"]) == sorted(
        qc.episodes[n].patient_id for n in ("Adams", "Brown", "Clark", "Diaz", "Evans", "Green")
    )


def test_lists_per_care_manager_and_for_risk_items(lead, qc):
    base = f"/dashboard/patients?month=2026-03&clinic={qc.clinic.id}"
    james = unescape(lead.get(f"{base}&measure=complete&cm={qc.james.id}").text)
    assert "Registry complete: James Chen, March 2026" in james
    assert _names(james) == ["Clark, Pat", "Diaz, Pat"]
    assert "missing: care plan" in james and "missing: next contact, consent" in james
    nobody = unescape(lead.get(f"{base}&measure=caseload&cm=none").text)
    assert _names(nobody) == ["Evans, Pat"]
    risk = unescape(lead.get(f"{base}&measure=risk_ack").text)
    assert _names(risk) == ["Adams, Pat", "Brown, Pat", "Clark, Pat", "Diaz, Pat"]
    assert "not yet" in risk and "4 min" in risk


def test_trends_for_one_care_manager(lead, qc):
    html = unescape(lead.get(f"/dashboard?cm={qc.maria.id}").text)
    assert "Last 6 months: Maria Lopez" in html
    # Maria's engagement by month, as the table beside the chart shows it.
    table = html[html.index("Engagement as a table") :]
    row = re.search(r"<th scope=\"row\">Engaged</th>(.*?)</tr>", table, re.S).group(1)
    # Oct: no patient yet; Nov-Jan: nobody reached and measured; Feb: Fox of four; Mar: all 3.
    assert re.findall(r'<td class="num">([^<]+)</td>', row) == [
        "—",
        "0%",
        "0%",
        "0%",
        "25%",
        "100%",
    ]


def test_only_clinic_leads(staff_app, qc, clock):
    for role in ("care_manager", "admin", "treating_clinician", "psychiatric_consultant"):
        client = staff_app.test_client()
        sign_in(client, staff_with_role(qc.clinic, role))
        assert client.get("/dashboard").status_code == 403
        assert client.get("/dashboard/patients?measure=engagement").status_code == 403


def test_another_clinic_unknown_measures_and_bad_months(lead, qc):
    other = ClinicFactory().id
    db.Session.commit()
    assert lead.get(f"/dashboard?clinic={other}").status_code == 404
    assert lead.get(f"/dashboard/patients?measure=engagement&clinic={other}").status_code == 404
    assert lead.get("/dashboard/patients?measure=happiness").status_code == 404
    bad = lead.get("/dashboard?month=2026-5")
    assert bad.status_code == 400 and "is not a month that can be shown" in bad.text
    assert lead.get("/dashboard?month=2026-05").status_code == 400  # not begun yet
    assert lead.get("/dashboard?month=2026-04").status_code == 200  # running month
