"""The billing page's view of the month: rows with minutes, evidence checks, totals per code."""

from datetime import date

import pytest

from cocm.quality.billing_report import check_of, month_report


def _clinic(build, make_clinic):
    """March 2026 worked out by hand: codes, a blocked row, a short BHI month, a quiet one."""
    adams = build.episode(build.patient("Avery", "Adams"), date(2026, 2, 2))
    build.time(adams, date(2026, 2, 3), 45)
    call = build.contact(adams, date(2026, 3, 3))
    build.time(adams, date(2026, 3, 3), 20, contact=call)
    build.time(adams, date(2026, 3, 3), 15, role="treating_clinician", contact=call)
    build.time(adams, date(2026, 3, 10), 12)
    build.time(adams, date(2026, 3, 17), 30, role="psychiatric_consultant")
    brown = build.episode(build.patient("Blake", "Brown"), date(2026, 3, 9))
    for day, minutes in ((9, 45), (16, 25), (18, 20)):
        build.time(brown, date(2026, 3, day), minutes)
    clark = build.episode(build.patient("Casey", "Clark"), date(2026, 1, 12), program="bhi")
    build.time(clark, date(2026, 3, 4), 10)
    build.time(clark, date(2026, 3, 11), 5)
    diaz = build.episode(build.patient("Drew", "Diaz"), date(2026, 2, 16), plan_at=None)
    build.time(diaz, date(2026, 3, 2), 35)
    late = build.episode(
        build.patient("Eli", "Evans"), date(2026, 3, 2), consent_on=date(2026, 3, 20)
    )
    build.time(late, date(2026, 3, 10), 25)
    build.episode(build.patient("Finn", "Fox"), date(2026, 1, 5))  # active, no minutes
    elsewhere = make_clinic()
    stranger = elsewhere.episode(elsewhere.patient("Gil", "Adams"), date(2026, 2, 2))
    elsewhere.time(stranger, date(2026, 3, 5), 90)
    build.session.flush()


def test_rows_checks_and_totals(build, make_clinic):
    _clinic(build, make_clinic)
    report = month_report(build.session, build.clinic.id, 2026, 3, date(2026, 4, 10))
    got = [(r.row.patient_name, r.row.minutes, r.row.codes, sorted(r.failed)) for r in report.rows]
    assert got == [
        # 20 (shared contact counted once) + 12; the consultant's 30 not counted: 99493.
        ("Avery Adams", 32, [("99493", 1)], []),
        # Initial month, 90 minutes: 99492 and one 99494.
        ("Blake Brown", 90, [("99492", 1), ("99494", 1)], []),
        # BHI, 15 minutes: short of 99484, nothing missing.
        ("Casey Clark", 15, [], []),
        # 35 minutes but no care plan: missing instead of codes.
        ("Drew Diaz", 35, [], ["plan"]),
        # Minutes before the consent date (Mar 20) do not count; the row still shows them.
        ("Eli Evans", 0, [], []),
    ]
    evans = report.rows[-1].row
    assert evans.minutes_before_consent == 25
    assert report.rows[3].failed["plan"] == ["no care plan on record by the end of the month"]
    assert [r.patient_name for r in report.quiet] == ["Finn Fox"]
    assert report.totals == {"99492": 1, "99493": 1, "99494": 1}
    assert (report.billable, report.blocked, report.minutes) == (2, 1, 172)
    assert report.month_open is False
    assert report.label == "2026-03"
    assert month_report(build.session, build.clinic.id, 2026, 3, date(2026, 3, 31)).month_open


@pytest.mark.parametrize(
    ("message", "check"),
    [
        ("consent not documented", "consent"),
        ("consent dated 2026-04-02, after this month", "consent"),
        ("no initiating visit on record", "visit"),
        ("initiating visit 2026-03-02 is after the episode started (2026-02-02)", "visit"),
        ("no care plan on record by the end of the month", "plan"),
        ("episode started 2026-04-01, after this month", "active"),
        ("episode ended 2026-01-31, before this month", "active"),
        ("episode is completed with no end date on record", "active"),
        ("billed under episode 7 this month (one code family per patient per month)", "family"),
        ("something new", "other"),
    ],
)
def test_each_missing_message_lands_under_its_check(message, check):
    assert check_of(message) == check


def test_every_missing_message_of_the_billing_month_is_recognised(build):
    """The real messages, not copies: a row failing every check at once."""
    patient = build.patient("Hal", "Hill")
    episode = build.episode(
        patient,
        date(2026, 3, 2),
        status="completed",
        consent_on=None,
        initiating_visit_on=None,
        plan_at=None,
    )
    build.time(episode, date(2026, 3, 3), 40)
    report = month_report(build.session, build.clinic.id, 2026, 3, date(2026, 4, 10))
    (row,) = report.rows
    assert "other" not in row.failed
    assert sorted(row.failed) == ["active", "consent", "plan", "visit"]


def test_a_page_of_rows_keeps_the_whole_months_figures(build, make_clinic):
    _clinic(build, make_clinic)
    whole = month_report(build.session, build.clinic.id, 2026, 3, date(2026, 4, 10))
    pages = [
        month_report(build.session, build.clinic.id, 2026, 3, date(2026, 4, 10), page=n, per_page=2)
        for n in (1, 2, 3)
    ]
    assert [r.row.patient_name for p in pages for r in p.rows] == [
        r.row.patient_name for r in whole.rows
    ]
    for page in pages:
        assert (page.totals, page.billable, page.blocked, page.minutes, page.shown) == (
            whole.totals,
            whole.billable,
            whole.blocked,
            whole.minutes,
            5,
        )
        assert page.pages == 3 and page.quiet_count == 1
    # Each row's wording is the same whether built for a page or for the whole month.
    assert [r.row for p in pages for r in p.rows] == [r.row for r in whole.rows]
    missing = month_report(
        build.session, build.clinic.id, 2026, 3, date(2026, 4, 10), show="missing"
    )
    assert [r.row.patient_name for r in missing.rows] == ["Drew Diaz"]
    assert missing.matching == 1 and missing.shown == 5
    under = month_report(build.session, build.clinic.id, 2026, 3, date(2026, 4, 10), show="under")
    assert [r.row.patient_name for r in under.rows] == ["Casey Clark", "Eli Evans"]
    with pytest.raises(ValueError, match="unknown filter"):
        month_report(build.session, build.clinic.id, 2026, 3, date(2026, 4, 10), show="x")
