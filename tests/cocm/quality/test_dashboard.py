"""The quality dashboard of a small clinic against figures worked out by hand (see conftest)."""

from datetime import UTC, datetime, timedelta

import pytest
from freezegun import freeze_time
from sqlalchemy import event

from cocm.quality.dashboard import (
    CLINIC,
    UNASSIGNED,
    measure_patients,
    quality_dashboard,
)
from tests.cocm.quality.conftest import build_quality_clinic

NOW = datetime(2026, 4, 15, 15, 0, tzinfo=UTC)


@pytest.fixture
def board(session, quality_clinic):
    with freeze_time(NOW):
        return quality_dashboard(session, quality_clinic.clinic.id, 2026, 3, NOW)


def _figures(board, who, k=None):
    k = len(board.months) - 1 if k is None else k
    return {
        measure: (board.figure(k, who, measure).met, board.figure(k, who, measure).total)
        for measure in (
            "engagement",
            "improvement",
            "response",
            "remission",
            "psych_review",
            "baseline",
            "care_plan",
            "next_contact",
            "consent",
            "complete",
        )
    }


def test_march_for_the_whole_clinic(board):
    assert [m.label for m in board.months] == [
        "2025-10",
        "2025-11",
        "2025-12",
        "2026-01",
        "2026-02",
        "2026-03",
    ]
    assert _figures(board, CLINIC) == {
        # Active in March: Adams, Brown, Clark, Diaz, Evans, Green (Fox ended in February).
        # Clark was only called without an answer; Diaz had no contact and no measure.
        "engagement": (4, 6),
        # Baseline >= 10 and 10+ weeks old: Adams (8), Brown (15), Diaz (19), Green (6).
        # Clark's baseline is 4 weeks old; Evans started at 9.
        "improvement": (2, 4),
        # Same four with a later PHQ-9: Adams 18 -> 8 and Green 14 -> 6 fell by half.
        "response": (2, 4),
        "remission": (0, 4),
        # Not improving: Brown (reviewed Feb 20, 39 days before Mar 31) and Diaz (never).
        "psych_review": (1, 2),
        # Caseload at Mar 31: Adams, Brown, Clark, Diaz, Evans (Green ended Mar 12).
        "baseline": (5, 5),
        "care_plan": (4, 5),  # Clark has none
        "next_contact": (3, 5),  # Brown's Mar 20 and Diaz's Feb 9 had passed
        "consent": (4, 5),  # Diaz
        "complete": (2, 5),  # Adams and Evans
    }


def test_march_per_care_manager(board, quality_clinic):
    maria, james = quality_clinic.maria.id, quality_clinic.james.id
    assert board.who() == [james, maria, UNASSIGNED]  # by name, unassigned last
    assert _figures(board, maria)["engagement"] == (3, 3)  # Adams, Brown, Green
    assert _figures(board, james)["engagement"] == (0, 2)  # Clark, Diaz
    assert _figures(board, UNASSIGNED)["engagement"] == (1, 1)  # Evans
    assert _figures(board, maria)["complete"] == (1, 2)
    assert _figures(board, james)["complete"] == (0, 2)
    assert _figures(board, maria)["psych_review"] == (1, 1)
    assert _figures(board, james)["psych_review"] == (0, 1)


def test_caseload_per_full_time_care_manager(board, quality_clinic):
    march = len(board.months) - 1
    maria = board.caseload[(march, quality_clinic.maria.id)]
    james = board.caseload[(march, quality_clinic.james.id)]
    clinic = board.caseload[(march, CLINIC)]
    assert (maria.patients, maria.fte, maria.per_fte) == (2, 1.0, 2.0)
    assert (james.patients, james.fte, james.per_fte) == (2, 0.5, 4.0)
    assert board.caseload[(march, UNASSIGNED)].patients == 1
    assert (clinic.patients, clinic.fte) == (5, 1.5)
    assert clinic.per_fte == pytest.approx(5 / 1.5)
    assert maria.band == "below the 50–80 guidance"


def test_risk_items_time_to_acknowledge_and_close(board, quality_clinic):
    march = len(board.months) - 1
    clinic = board.risk[(march, CLINIC)]
    # Four items (the drill, the normal item and February's are left out).
    assert clinic.opened == 4
    # Acknowledged after 4, 10 and 30 minutes: median 10; nearest rank 90th = 3rd of 3 = 30.
    assert clinic.ack_median == timedelta(minutes=10)
    assert clinic.ack_p90 == timedelta(minutes=30)
    assert clinic.not_acknowledged == 1
    # Closed after 120 and 300 minutes: median 210; 90th = 2nd of 2 = 300.
    assert clinic.close_median == timedelta(minutes=210)
    assert clinic.close_p90 == timedelta(minutes=300)
    assert clinic.not_closed == 2
    maria = board.risk[(march, quality_clinic.maria.id)]
    assert (maria.opened, maria.ack_median, maria.ack_p90) == (
        2,
        timedelta(minutes=7),
        timedelta(minutes=10),
    )
    february = board.risk[(march - 1, CLINIC)]
    assert (february.opened, february.ack_median) == (1, timedelta(minutes=3))


def test_earlier_months_of_the_trend(board):
    february, december = len(board.months) - 2, len(board.months) - 4
    # February: Adams, Brown, Diaz, Evans, Fox, Green active; only Fox reached and measured.
    assert _figures(board, CLINIC, february)["engagement"] == (1, 6)
    # December: Adams (Dec 1) and Brown (Dec 15) enrolled with their baseline that day, but no
    # contact; Diaz, Fox and Green had none either.
    assert _figures(board, CLINIC, december)["engagement"] == (0, 5)
    assert board.caseload[(december, CLINIC)].patients == 5


def test_the_patients_behind_a_figure_add_up_to_it(session, quality_clinic):
    from cocm import db

    with freeze_time(NOW):
        found = measure_patients(db.Session, quality_clinic.clinic.id, 2026, 3, "engagement", NOW)
    names = [(ln.row.last_name, ln.results["engagement"]) for ln in found.lines]
    # Not meeting it first, then by name.
    assert names == [
        ("Clark", False),
        ("Diaz", False),
        ("Adams", True),
        ("Brown", True),
        ("Evans", True),
        ("Green", True),
    ]
    assert (found.figure.met, found.figure.total) == (4, 6)
    assert found.lines[0].detail("engagement") == "0 contacts reaching the patient; PHQ-9 completed"

    with freeze_time(NOW):
        mine = measure_patients(
            db.Session,
            quality_clinic.clinic.id,
            2026,
            3,
            "complete",
            NOW,
            quality_clinic.james.id,
        )
    assert [(ln.row.last_name, ln.detail("complete")) for ln in mine.lines] == [
        ("Clark", "missing: care plan"),
        ("Diaz", "missing: next contact, consent"),
    ]
    with freeze_time(NOW):
        risk = measure_patients(
            db.Session, quality_clinic.clinic.id, 2026, 3, "risk_ack", NOW, UNASSIGNED
        )
        everyone = measure_patients(db.Session, quality_clinic.clinic.id, 2026, 3, "risk_ack", NOW)
    assert risk.risk_items == []
    assert [i.last_name for i in everyone.risk_items] == ["Adams", "Brown", "Clark", "Diaz"]


def test_an_unknown_measure_is_refused(quality_clinic):
    from cocm import db

    with pytest.raises(ValueError, match="unknown measure"):
        measure_patients(db.Session, quality_clinic.clinic.id, 2026, 3, "happiness", NOW)


def test_the_running_month_is_judged_as_of_today(quality_clinic):
    from cocm import db

    with freeze_time("2026-03-12 15:00:00"):
        now = datetime(2026, 3, 12, 15, tzinfo=UTC)
        board = quality_dashboard(db.Session, quality_clinic.clinic.id, 2026, 3, now)
    march = board.months[-1]
    assert march.running and march.as_of_day.isoformat() == "2026-03-12"
    # By Mar 12: Adams (Mar 10), Brown (Mar 5) and Green (Mar 9) reached and measured.
    assert _figures(board, CLINIC)["engagement"] == (3, 6)
    # Caseload on Mar 12 includes Green (ended that day). Planned after now: Adams (Apr 7),
    # Brown (Mar 20, still ahead) and Clark (Apr 10); Evans's call of Mar 16 has not happened.
    assert _figures(board, CLINIC)["next_contact"] == (3, 6)


def _count(session, call):
    statements = []

    def seen(_conn, _cursor, statement, *_args):
        statements.append(statement)

    connection = session.connection()
    event.listen(connection, "before_cursor_execute", seen)
    try:
        call()
    finally:
        event.remove(connection, "before_cursor_execute", seen)
    return statements


def test_the_statement_count_does_not_grow_with_the_clinic(session):
    small = build_quality_clinic(session)
    large = build_quality_clinic(session)
    for _n in range(4):
        extra = build_quality_clinic(session)
        # Move a copy's patients into the large clinic: four times the episodes.
        for episode in extra.episodes.values():
            episode.patient.clinic_id = large.clinic.id
    session.flush()

    def run(clinic):
        return lambda: quality_dashboard(session, clinic.clinic.id, 2026, 3, NOW)

    few = _count(session, run(small))
    many = _count(session, run(large))
    assert len(few) == len(many) == 7
    assert all(s.lstrip().upper().startswith(("SELECT", "WITH")) for s in many)
    with freeze_time(NOW):
        board = quality_dashboard(session, large.clinic.id, 2026, 3, NOW)
    assert board.figure(5, CLINIC, "engagement").total == 6 * 5
