"""The patient chart: header, SVG trend with bands, answers, thread, plan, audit, 404, no N+1."""

import difflib
import re
from datetime import date

import pytest
from freezegun import freeze_time
from sqlalchemy import select

from cocm import db
from cocm.models import Assessment, AuditEvent, CarePlan, ConsentEvent, Referral
from tests.cocm.registry.builders import (
    assessment,
    at,
    contact,
    count_statements,
    message,
    queue_item,
    time_entry,
)
from tests.cocm.registry.web import sign_in
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory, staff_with_role


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
def clinician(clinic):
    return staff_with_role(clinic, "treating_clinician", full_name="Dr. Priya Patel")


@pytest.fixture
def episode(clinic, manager, clinician):
    patient = PatientFactory(
        clinic=clinic,
        care_manager_id=manager.id,
        treating_clinician_id=clinician.id,
        first_name="Ana",
        last_name="Ruiz",
        date_of_birth=date(1980, 6, 1),
        phone_e164="+12025550123",
        language="es",
    )
    return EpisodeFactory(patient=patient, started_on=date(2026, 1, 5))


@pytest.fixture
def client(staff_app, manager, clock):
    client = staff_app.test_client()
    sign_in(client, manager)
    return client


def _chart(client, patient_id):
    response = client.get(f"/patients/{patient_id}")
    assert response.status_code == 200
    return response.text


def test_header(client, episode, manager):
    episode.patient.sms_opted_out = True
    episode.patient.phone_problem = "Landline (21614)"
    db.Session.flush()
    text = _chart(client, episode.patient_id)
    assert "Ruiz, Ana" in text and episode.patient.mrn in text
    assert "<dt>Age</dt><dd>45" in text
    assert "(202) 555-0123" in text and "Spanish" in text
    assert "Active" in text or "active since" in text
    assert "Maria Lopez" in text and "Dr. Priya Patel" in text
    assert "Opted out of texts" in text and "Landline (21614)" in text
    assert "Verbal consent Jan 5" in text


def test_score_trend_is_inline_svg_with_bands_and_a_table(client, episode):
    p = episode.patient
    for day, phq, gad in (("2026-01-05", 18, 14), ("2026-02-02", 13, 10), ("2026-03-02", 8, 6)):
        assessment(p, episode, "PHQ-9", phq, at(day))
        assessment(p, episode, "GAD-7", gad, at(day))
    text = _chart(client, p.id)
    svgs = re.findall(r"<svg .*?</svg>", text, flags=re.S)
    assert len(svgs) == 2
    phq = svgs[0]
    assert 'role="img"' in phq and 'aria-labelledby="trend-phq-9-title trend-phq-9-desc"' in phq
    assert '<title id="trend-phq-9-title">PHQ-9 trend</title>' in phq
    assert "3 PHQ-9 scores, from 18 (moderately severe)" in phq
    for band in (
        "minimal (0–4)",
        "mild (5–9)",
        "moderate (10–14)",
        "moderately severe (15–19)",
        "severe (20–27)",
    ):
        assert band in phq
    assert "severe (15–21)" in svgs[1]
    assert phq.count("<circle") == 3 and "<polyline" in phq
    assert "<td>Mar 2, 2026</td><td>8</td><td>mild</td>" in text
    assert "<script" not in text.split("</main>")[0].split("<main>")[1]


def test_assessments_with_item_answers_and_risk(client, episode):
    assessment(episode.patient, episode, "PHQ-9", 12, at("2026-03-02"), risk_item=1)
    partial = Assessment(
        patient_id=episode.patient_id,
        episode_id=episode.id,
        instrument="GAD-7",
        channel="sms",
        status="partial",
        started_at=at("2026-03-09"),
    )
    db.Session.add(partial)
    db.Session.flush()
    text = _chart(client, episode.patient_id)
    assert "Little interest or pleasure in doing things" in text
    assert "Item 9: Several days" in text
    assert "Feeling nervous, anxious or on edge" in text and "not answered" in text
    assert ">partial<" in text


def test_thread_contacts_plan_referrals_queue_and_time(client, episode, manager, clinician):
    p = episode.patient
    for n in range(55):
        message(p, at("2026-03-01", 12, n), f"text number {n}")
    contact(
        p,
        episode,
        manager,
        at("2026-03-09"),
        next_contact_at=at("2026-03-23"),
        next_action="Review sleep diary",
        note="Talked through the week.",
    )
    time_entry(p, episode, manager, date(2026, 2, 9), 40)
    time_entry(p, episode, manager, date(2026, 3, 9), 20)
    db.Session.add_all(
        [
            CarePlan(
                episode_id=episode.id,
                version=1,
                goals="Walk twice a week",
                created_by_id=manager.id,
                created_at=at("2026-01-05"),
                signed_by_id=clinician.id,
                signed_at=at("2026-01-06"),
            ),
            CarePlan(
                episode_id=episode.id,
                version=2,
                goals="Walk daily",
                medications="Sertraline 50 mg",
                change_summary="Started sertraline",
                created_by_id=manager.id,
                created_at=at("2026-03-02"),
            ),
            Referral(
                patient_id=p.id,
                episode_id=episode.id,
                kind="therapy",
                to_whom="Dr. Ames, CBT",
                created_by_id=manager.id,
                due_by=date(2026, 4, 1),
            ),
            ConsentEvent(
                patient_id=p.id,
                kind="sms_consent_given",
                source="enrollment",
                wording="You agreed.",
                occurred_at=at("2026-01-05"),
            ),
        ]
    )
    item = queue_item(p, at("2026-03-16", 14), kind="risk_words", reason="Risk words in a text")
    text = _chart(client, p.id)
    assert "text number 4<" not in text and "text number 5<" in text and "text number 54" in text
    assert "(last 50)" in text
    assert "Talked through the week." in text and "Review sleep diary" in text
    assert "<strong>20</strong> of 31 minutes for 99493" in text
    assert "Version 2" in text and "Awaiting clinician sign-off" in text
    assert "Earlier versions (1)" in text and "signed by Dr. Priya Patel" in text
    assert "Dr. Ames, CBT" in text and "due by Apr 1" in text
    assert f'href="/queue/{item.id}"' in text and "Risk words in a text" in text
    assert "Last consent event: sms consent given" in text


def test_chart_links_to_existing_areas_only(client, episode, staff_app):
    text = _chart(client, episode.patient_id)
    for endpoint, path in (("contacts.new", "contacts/new"), ("referrals.new", "referrals/new")):
        if endpoint in staff_app.view_functions:
            assert f"/patients/{episode.patient_id}/{path}" in text


def test_every_view_is_audited(client, episode):
    _chart(client, episode.patient_id)
    _chart(client, episode.patient_id)
    events = db.Session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "chart_view", AuditEvent.patient_id == episode.patient_id
        )
    ).all()
    assert len(events) == 2


def test_another_clinics_patient_is_404_and_not_audited(client, session):
    stranger = PatientFactory(clinic=ClinicFactory())
    assert client.get(f"/patients/{stranger.id}").status_code == 404
    assert client.get("/patients/999999").status_code == 404
    assert not db.Session.scalars(
        select(AuditEvent).where(AuditEvent.patient_id == stranger.id)
    ).all()


def test_patient_without_episode(client, clinic, manager):
    patient = PatientFactory(clinic=clinic, care_manager_id=manager.id, last_name="Waiting")
    text = _chart(client, patient.id)
    assert "Not enrolled" in text and "No complete scores yet" in text


def test_statement_count_does_not_grow_with_the_record(client, engine, episode, manager):
    p = episode.patient

    def add(n, start):
        for i in range(n):
            day = date(2026, 1, 5 + start + i)
            assessment(p, episode, "PHQ-9", 10, at(day))
            contact(p, episode, manager, at(day))
            message(p, at(day), "hi")
            time_entry(p, episode, manager, day, 5)

    add(2, 0)
    with count_statements(engine) as small:
        _chart(client, p.id)
    add(20, 2)
    with count_statements(engine) as large:
        _chart(client, p.id)
    assert len(small) == len(large), "\n".join(
        difflib.unified_diff([s[:90] for s in small], [s[:90] for s in large], lineterm="")
    )


def test_earlier_episodes_listed_open_one_shown_latest_consent_and_claims(
    client, episode, manager, clinician
):
    p = episode.patient
    EpisodeFactory(
        patient=p,
        program="bhi",
        status="completed",
        started_on=date(2025, 2, 3),
        ended_on=date(2025, 7, 1),
        end_reason="Goals met",
        reentry_note="Call the clinic",
        consent_method="written",
        consent_on=date(2025, 2, 3),
    )
    for day, kind in (("2026-01-05", "sms_consent_given"), ("2026-03-01", "opt_out")):
        db.Session.add(
            ConsentEvent(
                patient_id=p.id, kind=kind, source="keyword", wording="-", occurred_at=at(day)
            )
        )
    queue_item(p, at("2026-03-16", 12), claimed_by_id=clinician.id, reason="Call back")
    queue_item(p, at("2026-03-16", 13), reason="Unclaimed one")
    db.Session.flush()
    text = _chart(client, p.id)
    # The open episode drives the header; the completed one is listed under it.
    assert "Verbal consent Jan 5" in text and "since Jan 5" in text
    assert "Completed · BHI · Feb 3, 2025 – Jul 1, 2025" in text
    assert "Goals met" in text and "Re-entry: Call the clinic" in text
    assert "Last consent event: opt out (keyword)" in text
    assert "claimed by Dr. Priya Patel" in text and "unclaimed" in text
