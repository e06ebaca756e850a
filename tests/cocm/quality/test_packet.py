"""The audit packet for one patient-month: every section, and a total equal to the billing line."""

from datetime import UTC, date, datetime

import pytest
from freezegun import freeze_time
from sqlalchemy import event

from cocm.models import CaseReview, CaseReviewItem, ConsentEvent, Recommendation
from cocm.quality.packet import audit_packet
from tests.cocm.registry.builders import assessment, at

NOW = datetime(2026, 4, 10, 14, 0, tzinfo=UTC)


@pytest.fixture
def adams(build, session):
    """A later month (February had minutes) with every kind of entry the packet explains."""
    patient = build.patient("Avery", "Adams", mrn="A-1", date_of_birth=date(1970, 5, 4))
    episode = build.episode(patient, date(2026, 2, 2))
    build.time(episode, date(2026, 2, 3), 45)
    call = build.contact(episode, date(2026, 3, 3))
    build.time(episode, date(2026, 3, 3), 20, contact=call)
    build.time(episode, date(2026, 3, 3), 15, role="treating_clinician", contact=call)
    build.time(episode, date(2026, 3, 10), 12)
    build.time(episode, date(2026, 3, 17), 30, role="psychiatric_consultant")
    wrong = build.time(episode, date(2026, 3, 12), 60)
    fixed = build.time(episode, date(2026, 3, 12), 6)
    fixed.correction_reason = "Typed 60 for 6"
    wrong.superseded_by_id = fixed.id

    assessment(patient, episode, "PHQ-9", 15, at("2026-02-02"))
    assessment(patient, episode, "PHQ-9", 11, at("2026-03-03"))
    assessment(patient, episode, "PHQ-9", 7, at("2026-03-24"))
    assessment(patient, episode, "PHQ-9", 3, at("2026-04-07"))  # after the month: not current
    assessment(patient, episode, "GAD-7", 10, at("2026-02-02"))

    review = CaseReview(
        clinic_id=build.clinic.id,
        scheduled_for=at("2026-03-04", 17),
        status="done",
        consultant_id=build.consultant.id,
    )
    session.add(review)
    session.flush()
    item = CaseReviewItem(
        review_id=review.id,
        patient_id=patient.id,
        episode_id=episode.id,
        reason="not_improving",
        position=1,
        assessment="Partial response to sertraline 50 mg; sleep still poor.",
        minutes=15,
        reviewed_at=at("2026-03-04", 17),
    )
    session.add(item)
    session.flush()
    rec = Recommendation(
        review_item_id=item.id,
        patient_id=patient.id,
        kind="medication",
        detail="Increase sertraline to 100 mg daily.",
        status="communicated",
        proposed_by_id=build.consultant.id,
        decided_by_id=build.clinician.id,
        decided_at=at("2026-03-05"),
        communicated_by_id=build.manager.id,
        communicated_at=at("2026-03-06"),
        communicated_how="phone",
    )
    session.add(rec)
    session.flush()
    plan = build.plan(episode, at("2026-03-06", 18))
    plan.goals = "Sleep six hours most nights."
    plan.change_summary = "Sertraline 100 mg after case review."
    plan.recommendation_id = rec.id

    planning = build.contact(episode, date(2026, 3, 24))
    planning.next_contact_at = at("2026-04-07")
    planning.next_action = "Review the sleep diary and the new dose."
    session.add_all(
        [
            ConsentEvent(
                patient_id=patient.id,
                kind="sms_consent_given",
                source="enrollment",
                wording="You agreed to get check-in texts.",
                staff_id=build.manager.id,
                occurred_at=at("2026-02-02"),
            ),
            ConsentEvent(
                patient_id=patient.id,
                kind="opt_out",
                source="keyword",
                wording="STOP",
                occurred_at=at("2026-04-02"),
            ),
        ]
    )
    session.flush()
    return patient, episode, rec, plan


def _packet(build, patient):
    with freeze_time(NOW):
        return audit_packet(build.session, build.clinic.id, patient.id, 2026, 3, NOW)


def test_the_time_log_says_what_counted_and_totals_like_the_billing_line(build, adams):
    patient, episode, *_ = adams
    p = _packet(build, patient)
    log = [
        (e.entry.performed_on.day, e.entry.role, e.entry.minutes, e.counted, e.why)
        for e in p.entries
    ]
    assert log == [
        (3, "care_manager", 20, True, None),
        (
            3,
            "treating_clinician",
            15,
            False,
            "same contact as another entry: counted once, at the longest",
        ),
        (10, "care_manager", 12, True, None),
        (12, "care_manager", 60, False, "replaced by a correction"),
        (12, "care_manager", 6, True, None),
        (17, "psychiatric_consultant", 30, False, "consultant minutes are recorded, not counted"),
    ]
    superseded = next(e for e in p.entries if e.line.superseded)
    assert superseded.line.reason == "Typed 60 for 6"
    # 20 + 12 + 6 = 38: a later month, 99493 from 31 minutes.
    assert p.counted_minutes == 38
    assert [(r.minutes, r.month_kind, r.codes) for r in p.billing] == [
        (38, "later", [("99493", 1)])
    ]
    assert p.episode.id == episode.id


def test_targets_plans_reviews_next_contact_and_consent(build, adams):
    patient, _episode, rec, plan = adams
    p = _packet(build, patient)
    phq9, gad7 = p.targets
    assert (phq9.instrument, phq9.baseline, phq9.current) == ("PHQ-9", 15, 7)
    assert phq9.current_on == date(2026, 3, 24)
    assert phq9.scores_in_month == [(date(2026, 3, 3), 11), (date(2026, 3, 24), 7)]
    assert (phq9.response, phq9.remission, phq9.improved) == (True, False, True)
    assert "response at 7 or less" in phq9.goal
    assert (gad7.baseline, gad7.current, gad7.scores_in_month) == (10, 10, [])

    assert [(c.plan.version, c.in_month, c.goals_changed) for c in p.plans] == [
        (1, False, True),
        (2, True, True),
    ]
    assert p.plans[1].previous.goals == "Walk twice a week."

    (note,) = p.reviews
    assert note.item.assessment.startswith("Partial response")
    assert [r.id for r in note.recommendations] == [rec.id]
    assert [x.id for x in note.plans_after] == [plan.id]
    assert p.name(note.review.consultant_id) == "Dr. Linh Nguyen"

    assert p.next_contact.next_action == "Review the sleep diary and the new dose."
    # The opt-out of April 2 came after the month.
    assert [e.kind for e in p.consent_events] == ["sms_consent_given"]
    assert p.episodes[0].consent_on == date(2026, 2, 2)


def test_another_clinic_or_an_empty_month(build, make_clinic, adams):
    patient, *_ = adams
    elsewhere = make_clinic()
    with freeze_time(NOW):
        assert audit_packet(build.session, elsewhere.clinic.id, patient.id, 2026, 3, NOW) is None
        p = audit_packet(build.session, build.clinic.id, patient.id, 2026, 1, NOW)
    assert p.billing == [] and p.entries == [] and p.episode is None


def test_the_statement_count_is_fixed(build, session, adams):
    patient, episode, *_ = adams
    for n in range(5):
        other = build.episode(build.patient(last=f"Other{n}"), date(2026, 2, 2))
        build.time(other, date(2026, 3, 4), 40)
    statements = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", seen)
    try:
        _packet(build, patient)
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    first = len(statements)
    for n in range(3):
        build.time(episode, date(2026, 3, 20 + n), 5)
    statements.clear()
    event.listen(connection, "before_cursor_execute", seen)
    try:
        p = _packet(build, patient)
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    assert len(statements) == first
    assert p.counted_minutes == 38 + 15
