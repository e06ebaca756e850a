"""The chart's start/stop timer and time corrections, with plain forms (no script)."""

import re
from datetime import date, timedelta
from html import unescape

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from cocm import db
from cocm.models import AuditEvent, TimeEntry
from tests.cocm.registry.web import csrf, sign_in
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory, staff_with_role


@pytest.fixture
def clock():
    with freeze_time("2026-03-10 14:00:00") as frozen:  # 10:00 in New York
        yield frozen


@pytest.fixture
def clinic(session):
    return ClinicFactory(name="Riverside", timezone="America/New_York")


@pytest.fixture
def manager(clinic):
    return staff_with_role(clinic, "care_manager", full_name="Maria Lopez")


def _patient(clinic, manager, last):
    patient = PatientFactory(
        clinic=clinic, care_manager_id=manager.id, first_name="Ana", last_name=last
    )
    EpisodeFactory(patient=patient, started_on=date(2026, 2, 2), consent_on=date(2026, 2, 2))
    return patient


@pytest.fixture
def ruiz(clinic, manager):
    return _patient(clinic, manager, "Ruiz")


@pytest.fixture
def client(staff_app, manager, ruiz, clock):
    db.Session.commit()
    client = staff_app.test_client()
    sign_in(client, manager)
    return client


def _post(client, url, data=None, page=None):
    token = csrf(client.get(page or url).text)
    return client.post(url, data={**(data or {}), "csrf_token": token})


def _chart(client, patient):
    return unescape(client.get(f"/patients/{patient.id}").text)


def _entries(patient):
    return db.Session.scalars(
        select(TimeEntry).where(TimeEntry.patient_id == patient.id).order_by(TimeEntry.id)
    ).all()


def test_start_and_stop_without_script(client, manager, ruiz, clock):
    chart = _chart(client, ruiz)
    start = f"/patients/{ruiz.id}/timer/start"
    assert f'<form method="post" action="{start}"' in chart and "Start timer" in chart
    started = _post(client, start, page=f"/patients/{ruiz.id}")
    assert started.status_code == 302 and started.location.endswith("#time-log-h")
    clock.tick(timedelta(minutes=18))
    # Eighteen idle minutes on a phone call sign the person out; the timer keeps running.
    assert client.get(f"/patients/{ruiz.id}").status_code == 302
    sign_in(client, manager)
    chart = _chart(client, ruiz)
    assert "Timer running" in chart and "18 minutes so far" in chart
    stop_url = f"/patients/{ruiz.id}/timer/stop"
    page = client.get(stop_url)
    assert page.status_code == 200 and "18 minutes" in page.text
    # Stopping asks for the activity.
    missing = _post(client, stop_url, {"activity": ""})
    assert missing.status_code == 422 and "Choose the activity" in missing.text
    assert _entries(ruiz) == []
    done = _post(client, stop_url, {"activity": "care_coordination", "note": "Called pharmacy"})
    assert done.status_code == 302
    (entry,) = _entries(ruiz)
    assert (entry.minutes, entry.activity, entry.performed_on) == (
        18,
        "care_coordination",
        date(2026, 3, 10),
    )
    assert entry.started_at is not None and entry.ended_at is not None
    chart = _chart(client, ruiz)
    assert "Timer stopped: 18 minutes logged." in chart
    assert "Start timer" in chart and "Called pharmacy" in chart
    # The same stop posted again logs nothing more.
    again = _post(client, stop_url, {"activity": "care_coordination"}, page=f"/patients/{ruiz.id}")
    assert again.status_code == 302 and len(_entries(ruiz)) == 1
    assert "No timer is running for this patient" in _chart(client, ruiz)


def test_fewer_minutes_than_timed_and_discarding(client, ruiz, clock):
    _post(client, f"/patients/{ruiz.id}/timer/start", page=f"/patients/{ruiz.id}")
    clock.tick(timedelta(minutes=14))
    client.get("/")  # active, not idle
    clock.tick(timedelta(minutes=14))
    client.get("/")
    clock.tick(timedelta(minutes=2))
    stop_url = f"/patients/{ruiz.id}/timer/stop"
    too_many = _post(client, stop_url, {"activity": "outreach", "minutes": "45"})
    assert too_many.status_code == 422 and "between 1 and 30" in too_many.text
    _post(client, stop_url, {"activity": "outreach", "minutes": "20"})
    assert [e.minutes for e in _entries(ruiz)] == [20]

    _post(client, f"/patients/{ruiz.id}/timer/start", page=f"/patients/{ruiz.id}")
    clock.tick(timedelta(minutes=5))
    discarded = _post(client, f"/patients/{ruiz.id}/timer/discard", page=f"/patients/{ruiz.id}")
    assert discarded.status_code == 302
    assert "Timer discarded" in _chart(client, ruiz)
    assert [e.minutes for e in _entries(ruiz)] == [20]
    actions = db.Session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.action.like("timer_%"))
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    ).all()
    assert actions == ["timer_started", "timer_stopped", "timer_started", "timer_discarded"]


def test_a_running_timer_elsewhere_is_shown_and_blocks_a_second(
    client, clinic, manager, ruiz, clock
):
    other = _patient(clinic, manager, "Soto")
    db.Session.commit()
    _post(client, f"/patients/{ruiz.id}/timer/start", page=f"/patients/{ruiz.id}")
    chart = _chart(client, other)
    assert "Your timer is running" in chart
    assert f'href="/patients/{ruiz.id}#time-log-h">Ruiz, Ana</a>' in chart
    assert "Start timer" not in chart
    refused = _post(client, f"/patients/{other.id}/timer/start", page=f"/patients/{other.id}")
    assert refused.status_code == 302
    assert "Your timer is running for another patient" in _chart(client, other)


def _log(client, patient, minutes=40):
    entry = TimeEntry(
        patient_id=patient.id,
        staff_id=patient.care_manager_id,
        role="care_manager",
        activity="outreach",
        performed_on=date(2026, 3, 3),
        minutes=minutes,
    )
    db.Session.add(entry)
    db.Session.commit()
    return entry.id


def test_a_correction_leaves_the_original_struck_through_with_the_reason(client, ruiz):
    entry_id = _log(client, ruiz)
    url = f"/patients/{ruiz.id}/time/{entry_id}/correct"
    form = client.get(url)
    assert form.status_code == 200 and 'value="40"' in form.text
    no_reason = _post(
        client, url, {"performed_on": "2026-03-03", "minutes": "4", "activity": "outreach"}
    )
    assert no_reason.status_code == 422 and "Say why the entry is corrected." in no_reason.text
    saved = _post(
        client,
        url,
        {
            "performed_on": "2026-03-03",
            "minutes": "4",
            "activity": "outreach",
            "reason": "Typed 40 for 4",
        },
    )
    assert saved.status_code == 302
    old, new = _entries(ruiz)
    assert old.superseded_by_id == new.id and new.correction_reason == "Typed 40 for 4"
    chart = _chart(client, ruiz)
    assert re.search(r'<tr class="superseded">.*?<del>40</del>', chart, re.S)
    assert "Corrected Mar 10, 10:00 AM: Typed 40 for 4" in chart
    assert f"/time/{new.id}/correct" in chart and f"/time/{old.id}/correct" not in chart
    # The old entry cannot be corrected a second time.
    assert client.get(url).status_code == 302


def test_who_may_correct(staff_app, clinic, manager, ruiz, clock):
    entry_id = _log(None, ruiz)
    colleague = staff_with_role(clinic, "care_manager")
    lead = staff_with_role(clinic, "clinic_lead")
    stranger = staff_with_role(ClinicFactory(), "care_manager")
    db.Session.commit()
    url = f"/patients/{ruiz.id}/time/{entry_id}/correct"
    for staff, status in ((colleague, 403), (stranger, 404), (lead, 200)):
        client = staff_app.test_client()
        sign_in(client, staff)
        assert client.get(url).status_code == status
    start = staff_app.test_client()
    sign_in(start, stranger)
    assert _post(start, f"/patients/{ruiz.id}/timer/start", page="/").status_code == 404
    assert client.get(f"/patients/{ruiz.id}/time/999999/correct").status_code == 404
