"""Case review pages: run a review from the generated agenda, decide in the inbox, close the loop,
see the trail on the chart; roles, 404s for other clinics, CSRF, audit, statement counts."""

from datetime import UTC, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select

from cocm import db
from cocm.models import AuditEvent, CarePlan, CaseReview, Recommendation
from cocm.review.record import RecommendationInput, record_item
from cocm.review.schedule import ensure_upcoming_review
from tests.cocm.clinics.helpers import csrf, signed_in
from tests.cocm.registry.builders import at, count_statements
from tests.cocm.review.helpers import NOW, World


@pytest.fixture
def clock():
    with freeze_time(NOW) as frozen:
        yield frozen


@pytest.fixture
def world(session, clock):
    return World()


def _review(world) -> CaseReview:
    return ensure_upcoming_review(db.Session, world.clinic, datetime.now(UTC))


def _plan(episode, world):
    plan = CarePlan(
        episode_id=episode.id,
        version=1,
        goals="Sleep through the night",
        medications="Sertraline 50 mg daily",
        created_by_id=world.manager.id,
        created_at=at("2026-01-06"),
    )
    db.Session.add(plan)
    db.Session.flush()
    return plan


def _record_data(page: str, item_id: int, **fields) -> dict:
    data = {"csrf_token": csrf(page)}
    data.update({f"item{item_id}-{k.replace('__', '-')}": v for k, v in fields.items()})
    return data


def test_consultant_runs_the_review_from_the_generated_agenda(staff_app, world, session):
    new, _ = world.new()
    stalled, _ = world.not_improving()
    client = signed_in(staff_app, world.consultant)
    index = client.get("/case-reviews/")
    assert index.status_code == 200
    review = session.scalar(
        select(CaseReview).where(
            CaseReview.clinic_id == world.clinic.id, CaseReview.status == "planned"
        )
    )
    assert f"/case-reviews/{review.id}" in index.text
    page = client.get(f"/case-reviews/{review.id}")
    assert page.status_code == 200
    text = page.text
    assert text.index("New enrollment, not yet reviewed") < text.index("Not improving")
    assert text.index(new.last_name) < text.index(stalled.last_name)
    assert "Enrolled 7 days ago, not yet reviewed" in text
    assert client.post(
        f"/case-reviews/{review.id}/start", data={"csrf_token": csrf(text)}
    ).status_code == (302)
    item = next(i for i in review.items if i.patient_id == stalled.id)
    url = f"/case-reviews/{review.id}/items/{item.id}"
    bad = client.post(
        url,
        data=_record_data(
            text,
            item.id,
            assessment="PHQ-9 flat at week 10",
            minutes="7",
            recs__0__kind="medication",
            recs__0__detail="Increase sertraline",
        ),
    )
    assert bad.status_code == 422
    assert "Give the dose" in bad.text and "PHQ-9 flat at week 10" in bad.text
    good = _record_data(
        text,
        item.id,
        assessment="PHQ-9 flat at week 10",
        minutes="7",
        recs__0__kind="medication",
        recs__0__detail="Increase sertraline",
        recs__0__dose="100 mg daily",
        recs__1__kind="therapy",
        recs__1__detail="Weekly CBT",
    )
    assert client.post(url, data=good).status_code == 302
    assert client.post(url, data=good).status_code == 302  # posted twice
    recs = session.scalars(select(Recommendation).where(Recommendation.patient_id == stalled.id))
    assert sorted(r.kind for r in recs) == ["medication", "therapy"]
    shown = client.get(f"/case-reviews/{review.id}").text
    assert "Awaiting the clinician" in shown and "Dr. Patel" in shown
    assert client.post(
        f"/case-reviews/{review.id}/finish", data={"csrf_token": csrf(shown)}
    ).status_code == (302)
    db.Session.expire_all()
    assert db.Session.get(CaseReview, review.id).status == "done"
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {
        "case_reviews_view",
        "case_review_view",
        "case_review_started",
        "case_review_recorded",
        "case_review_finished",
    } <= actions


def test_without_a_csrf_token_nothing_changes(staff_app, world, session):
    review = _review(world)
    client = signed_in(staff_app, world.consultant)
    assert client.post(f"/case-reviews/{review.id}/start").status_code == 400
    assert db.Session.get(CaseReview, review.id).status == "planned"


def test_care_manager_adds_a_patient_with_a_reason(staff_app, world, session):
    patient, _ = world.calm()
    review = _review(world)
    client = signed_in(staff_app, world.manager)
    page = client.get(f"/case-reviews/{review.id}").text
    url = f"/case-reviews/{review.id}/add"
    data = {
        "csrf_token": csrf(page),
        "mrn": "NOPE-1",
        "reason": "medication_question",
        "note": "Dose at night?",
    }
    refused = client.post(url, data=data)
    assert refused.status_code == 422
    assert "No patient with this MRN in this clinic." in refused.text
    assert 'value="NOPE-1"' in refused.text and "Dose at night?" in refused.text
    data["mrn"] = patient.mrn
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=data).status_code == 302  # posted twice
    (item,) = db.Session.get(CaseReview, review.id).items
    assert (item.reason, item.reason_note, item.added_by_id) == (
        "medication_question",
        "Dose at night?",
        world.manager.id,
    )
    consultant = signed_in(staff_app, world.consultant)
    data["csrf_token"] = csrf(consultant.get(f"/case-reviews/{review.id}").text)
    assert consultant.post(url, data=data).status_code == 403


def _proposed(world, *recs):
    patient, episode = world.not_improving()
    _plan(episode, world)
    item = world.reviewed_on(patient, episode, "2026-03-11")
    recs = recs or (
        RecommendationInput("medication", "Increase sertraline", "100 mg daily"),
        RecommendationInput("labs", "Check TSH"),
    )
    result = record_item(
        db.Session, item, world.consultant, "Flat", 5, list(recs), at("2026-03-11")
    )
    return patient, episode, result.added


def test_clinician_approves_one_and_declines_another(staff_app, world, session):
    patient, _, (medication, labs) = _proposed(world)
    client = signed_in(staff_app, world.clinician)
    inbox = client.get("/case-reviews/inbox")
    assert inbox.status_code == 200
    assert "Increase sertraline" in inbox.text and "Check TSH" in inbox.text
    assert "decides: you" in inbox.text and "5 days old" in inbox.text
    token = csrf(inbox.text)
    url = "/case-reviews/recommendations/{}/decide"
    ok = client.post(
        url.format(medication.id),
        data={"csrf_token": token, f"rec{medication.id}-action": "approve"},
    )
    assert ok.status_code == 302
    refused = client.post(
        url.format(labs.id),
        data={
            "csrf_token": token,
            f"rec{labs.id}-action": "decline",
            f"rec{labs.id}-modified_detail": "typed text stays",
        },
    )
    assert refused.status_code == 422
    assert "Give the reason for declining" in refused.text and "typed text stays" in refused.text
    declined = client.post(
        url.format(labs.id),
        data={
            "csrf_token": token,
            f"rec{labs.id}-action": "decline",
            f"rec{labs.id}-reason": "Checked last month",
        },
    )
    assert declined.status_code == 302
    db.Session.expire_all()
    assert db.Session.get(Recommendation, medication.id).status == "approved"
    labs = db.Session.get(Recommendation, labs.id)
    assert (labs.status, labs.decision_reason) == ("declined", "Checked last month")
    after = client.get("/case-reviews/inbox").text
    assert "Nothing to decide" in after and "Your recent decisions" in after
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"recommendation_approved", "recommendation_declined"} <= actions


def test_only_the_approver_decides(staff_app, world, session):
    _, _, (medication, _) = _proposed(world)
    other = signed_in(staff_app, world.other_clinician)
    inbox = other.get("/case-reviews/inbox")
    assert "Increase sertraline" not in inbox.text
    url = f"/case-reviews/recommendations/{medication.id}/decide"
    data = {"csrf_token": csrf(inbox.text), f"rec{medication.id}-action": "approve"}
    refused = other.post(url, data=data)
    assert refused.status_code == 403 and "Only Dr. Patel decides" in refused.text
    manager = signed_in(staff_app, world.manager)
    page = manager.get("/case-reviews/loop")
    assert "Waiting for the treating clinician" in page.text and "Increase sertraline" in page.text
    assert manager.post(url, data={"csrf_token": csrf(page.text)}).status_code == 403
    db.Session.expire_all()
    assert db.Session.get(Recommendation, medication.id).status == "proposed"


def test_care_manager_closes_the_loop_and_the_chart_shows_the_trail(staff_app, world, session):
    patient, episode, (medication, labs) = _proposed(world)
    clinician = signed_in(staff_app, world.clinician)
    token = csrf(clinician.get("/case-reviews/inbox").text)
    url = "/case-reviews/recommendations/{}/decide"
    clinician.post(
        url.format(medication.id),
        data={"csrf_token": token, f"rec{medication.id}-action": "approve"},
    )
    clinician.post(
        url.format(labs.id),
        data={"csrf_token": token, f"rec{labs.id}-action": "decline", f"rec{labs.id}-reason": "No"},
    )
    manager = signed_in(staff_app, world.manager)
    loop = manager.get("/case-reviews/loop")
    assert "Approved: tell the patient" in loop.text
    form_url = f"/case-reviews/recommendations/{medication.id}/communicate"
    form = manager.get(form_url)
    assert form.status_code == 200 and "Sertraline 50 mg daily" in form.text  # current plan
    data = {
        "csrf_token": csrf(form.text),
        "how": "phone",
        "when": "2026-03-16T11:00",
        "plan_changed": "yes",
        "goals": "Sleep through the night",
        "medications": "Sertraline 100 mg daily",
        "change_summary": "",
    }
    early = manager.post(form_url, data={**data, "when": "2026-03-16T10:30"})
    assert "This is before the clinician decided" in early.text  # decided at 11:00 EDT
    missing = manager.post(form_url, data=data)
    assert missing.status_code == 422
    assert "Say in a line what changed" in missing.text
    assert "Sertraline 100 mg daily" in missing.text  # what was typed is kept
    data["change_summary"] = "Sertraline up after case review"
    assert manager.post(form_url, data=data).status_code == 302
    assert manager.post(form_url, data=data).status_code == 302  # posted twice
    plans = session.scalars(
        select(CarePlan).where(CarePlan.episode_id == episode.id).order_by(CarePlan.version)
    ).all()
    assert [p.version for p in plans] == [1, 2]
    assert (plans[1].recommendation_id, plans[1].medications, plans[1].goals) == (
        medication.id,
        "Sertraline 100 mg daily",
        "Sleep through the night",
    )
    rec = db.Session.get(Recommendation, medication.id)
    assert rec.status == "communicated"
    assert rec.communicated_at == datetime(2026, 3, 16, 15, 0, tzinfo=UTC)  # 11:00 EDT
    # The clinician signs the new version with the existing care-plan page.
    page = clinician.get(f"/patients/{patient.id}/care-plans/{plans[1].id}")
    clinician.post(
        f"/patients/{patient.id}/care-plans/{plans[1].id}/sign",
        data={"csrf_token": csrf(page.text)},
    )
    chart = clinician.get(f"/patients/{patient.id}").text
    trail = chart[chart.index("Case-review recommendations") :]
    assert "Told to the patient by Maria Lopez" in trail
    assert "Care plan version 2" in trail and "Sertraline up after case review" in trail
    assert "Signed</span> by Dr. Patel" in trail
    assert "Declined by Dr. Patel" in trail and "reason: No" in trail
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"recommendation_communicated", "care_plan_version_created"} <= actions


def test_another_clinics_review_and_recommendations_are_404(staff_app, world, session):
    _, _, (medication, _) = _proposed(world)
    review = _review(world)
    elsewhere = World()
    for who in (elsewhere.manager, elsewhere.consultant, elsewhere.lead):
        client = signed_in(staff_app, who)
        assert client.get(f"/case-reviews/{review.id}").status_code == 404
    manager = signed_in(staff_app, elsewhere.manager)
    token = csrf(manager.get("/case-reviews/loop").text)
    url = f"/case-reviews/recommendations/{medication.id}/communicate"
    assert manager.get(url).status_code == 404
    assert manager.post(url, data={"csrf_token": token}).status_code == 404
    clinician = signed_in(staff_app, elsewhere.clinician)
    token = csrf(clinician.get("/case-reviews/inbox").text)
    decide = f"/case-reviews/recommendations/{medication.id}/decide"
    assert clinician.post(decide, data={"csrf_token": token}).status_code == 404
    consultant = signed_in(staff_app, elsewhere.consultant)
    assert consultant.post(f"/case-reviews/{review.id}/start", data={}).status_code in (400, 404)


def test_navigation_and_the_printable_agenda(staff_app, world, session):
    world.not_improving()
    clinician = signed_in(staff_app, world.clinician)
    assert 'href="/case-reviews/inbox"' in clinician.get("/").text
    consultant = signed_in(staff_app, world.consultant)
    assert 'href="/case-reviews/"' in consultant.get("/").text
    review = _review(world)
    full = consultant.get(f"/case-reviews/{review.id}").text
    assert "Record the assessment and recommendations" in full
    printable = consultant.get(f"/case-reviews/{review.id}?view=print").text
    assert "Record the assessment" not in printable and "Not improving" in printable
    assert "@media print" in consultant.get("/static/review.css").text


def test_statement_counts_do_not_grow_with_patients(staff_app, world, session, engine):
    review = _review(world)
    client = signed_in(staff_app, world.clinician)
    consultant = signed_in(staff_app, world.consultant)

    def add(n):
        for _ in range(n):
            world.new()
            _proposed(world)
            world.with_open_recommendation(status="approved")
        consultant.get(f"/case-reviews/{review.id}")  # builds the agenda

    add(1)
    with count_statements(engine) as small_agenda:
        assert consultant.get(f"/case-reviews/{review.id}").status_code == 200
    with count_statements(engine) as small_inbox:
        assert client.get("/case-reviews/inbox").status_code == 200
    add(6)
    with count_statements(engine) as large_agenda:
        page = consultant.get(f"/case-reviews/{review.id}")
    with count_statements(engine) as large_inbox:
        inbox = client.get("/case-reviews/inbox")
    assert page.text.count('class="card agenda-item') == 21
    assert inbox.text.count('class="card inbox-item"') == 14
    assert len(small_agenda) == len(large_agenda)
    assert len(small_inbox) == len(large_inbox)
    count = select(func.count()).select_from(Recommendation)
    assert session.scalar(count) == 21
