from datetime import UTC, datetime, time, timedelta

import pytest

from cocm import db
from cocm.registry.queue import business_deadline, minutes_text, queue_counts, queue_rows
from cocm.registry.queue_detail import answer_lines, queue_item_detail
from tests.cocm.registry.builders import message, queue_item
from tests.factories import ClinicFactory, PatientFactory, staff_with_role

NOW = datetime(2026, 3, 16, 15, tzinfo=UTC)


@pytest.fixture
def clinic(session):
    return ClinicFactory(escalation_minutes=10)


def test_order_limits_and_texts(clinic):
    patient = PatientFactory(clinic=clinic)
    for n in range(5):
        message(patient, NOW - timedelta(minutes=50 - n), f"text {n}")
    sunday = queue_item(patient, NOW - timedelta(hours=30))
    thursday = queue_item(patient, NOW - timedelta(days=4))
    urgent = queue_item(patient, NOW - timedelta(minutes=4), kind="risk_words")
    rows = queue_rows(db.Session(), {clinic.id}, now=NOW)
    assert [r.id for r in rows] == [urgent.id, thursday.id, sunday.id]
    first = rows[0]
    assert first.limit == timedelta(minutes=10) and not first.overdue and first.waiting
    assert [m.body for m in first.messages] == ["text 2", "text 3", "text 4"]
    # Thursday's item was due Friday at closing; Sunday's is due today at 17:00 in New York.
    assert rows[1].overdue and rows[1].due_at == datetime(2026, 3, 13, 21, tzinfo=UTC)
    assert not rows[2].overdue and rows[2].due_at == datetime(2026, 3, 16, 21, tzinfo=UTC)
    assert rows[2].limit_label == "due within 1 business day"


def test_counts(clinic):
    manager = staff_with_role(clinic, "care_manager")
    patient = PatientFactory(clinic=clinic)
    queue_item(patient, NOW, kind="risk_answer")
    queue_item(patient, NOW, status="claimed", claimed_by_id=manager.id)
    queue_item(patient, NOW, status="closed", outcome_note="done", closed_at=NOW)
    counts = queue_counts(db.Session(), {clinic.id}, manager.id)
    assert counts == {"urgent": 1, "normal": 1, "mine": 1, "unclaimed": 1}
    assert queue_counts(db.Session(), set(), manager.id)["urgent"] == 0


def test_closed_view_keeps_thirty_days(clinic):
    patient = PatientFactory(clinic=clinic)
    recent = queue_item(
        patient,
        NOW - timedelta(days=3),
        status="closed",
        outcome_note="x",
        closed_at=NOW - timedelta(days=2),
    )
    queue_item(
        patient,
        NOW - timedelta(days=40),
        status="closed",
        outcome_note="x",
        closed_at=NOW - timedelta(days=31),
    )
    rows = queue_rows(db.Session(), {clinic.id}, now=NOW, closed=True)
    assert [r.id for r in rows] == [recent.id]
    assert rows[0].time_to_resolve == timedelta(days=1)


def test_detail_only_for_allowed_clinics(clinic):
    item = queue_item(PatientFactory(clinic=clinic), NOW)
    assert queue_item_detail(db.Session(), item.id, {clinic.id}, NOW).row.id == item.id
    assert queue_item_detail(db.Session(), item.id, {clinic.id + 1000}, NOW) is None


def test_business_deadline_skips_closed_days():
    saturday = datetime(2026, 3, 14, 15, tzinfo=UTC)
    due = business_deadline(saturday, "America/Chicago", time(16, 30), "1,2,3,4,5")
    assert due == datetime(2026, 3, 16, 21, 30, tzinfo=UTC)  # Monday 16:30 CDT


def test_minutes_text():
    assert [minutes_text(timedelta(seconds=s)) for s in (5, 600, 3900, 90000)] == [
        "5 s",
        "10 min",
        "1 h 5 min",
        "1 d 1 h",
    ]


def test_answer_lines_skip_an_unanswered_item_ten():
    lines = answer_lines("PHQ-9", [1, 0, 0, 0, 0, 0, 0, 0, 2, None])
    assert len(lines) == 9 and lines[8].label == "More than half the days"
    assert answer_lines("PHQ-9", [0] * 9 + [1])[9].number == 10
