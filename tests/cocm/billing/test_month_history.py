"""The months before the billing month: what makes a month initial or later, read from the
history without scanning it (an EXISTS per episode, and the six-month rule only for patients
with more than one episode), and the evidence check that words only the rows shown."""

from datetime import date, timedelta
from itertools import product
from types import SimpleNamespace

from cocm.billing import billing_month
from cocm.billing.month import _evidence_complete, _missing_evidence, month_bounds


def _month(build, year, month):
    return billing_month(build.session, build.clinic.id, year, month, today=date(2026, 6, 1))


def _row(rows, episode):
    [row] = [r for r in rows if r.episode_id == episode.id]
    return row


def test_minutes_logged_without_an_episode_in_an_earlier_month_make_this_month_later(build):
    episode = build.episode(build.patient(), date(2026, 1, 5))
    build.time(episode, date(2026, 2, 10), 20, link_episode=False)
    build.time(episode, date(2026, 3, 10), 40)
    row = _row(_month(build, 2026, 3), episode)
    assert (row.month_kind, row.codes) == ("later", [("99493", 1)])


def test_earlier_minutes_that_do_not_count_leave_the_month_initial(build):
    """Before consent, a consultant's, superseded, or logged without an episode on a day
    another (later-starting) episode covered: none of them is an earlier service."""
    patient = build.patient()
    old = build.episode(patient, date(2025, 6, 2), status="completed", ended_on=date(2026, 2, 27))
    episode = build.episode(patient, date(2026, 1, 5), consent_on=date(2026, 2, 16))
    build.time(episode, date(2026, 2, 2), 30)  # before consent
    build.time(episode, date(2026, 2, 17), 30, role="psychiatric_consultant")
    wrong = build.time(episode, date(2026, 2, 18), 30)
    wrong.superseded_by_id = build.time(episode, date(2026, 3, 2), 1).id
    build.time(episode, date(2026, 3, 3), 39)
    rows = _month(build, 2026, 3)
    row = _row(rows, episode)
    assert (row.month_kind, row.minutes, row.codes) == ("initial", 40, [("99492", 1)])
    # Minutes logged without an episode on a day both episodes covered belong to the one that
    # started later, after its consent: now February was a month of service for it.
    build.time(old, date(2026, 2, 20), 25, link_episode=False)
    assert _row(_month(build, 2026, 3), episode).month_kind == "later"


def test_the_six_month_rule_sees_unlinked_minutes_of_the_other_episode(build):
    patient = build.patient()
    first = build.episode(
        patient, date(2025, 9, 1), status="completed", ended_on=date(2025, 12, 19)
    )
    build.time(first, date(2025, 12, 8), 50, link_episode=False)
    second = build.episode(patient, date(2026, 3, 2))
    build.time(second, date(2026, 3, 3), 40)
    row = _row(_month(build, 2026, 3), second)
    assert row.month_kind == "later"
    assert row.notes == [
        f"later month: CoCM minutes under episode {first.id} on 2025-12-08, within six months"
    ]
    # A BHI episode's minutes are not CoCM services.
    third_patient = build.patient(last="Bhi")
    bhi = build.episode(
        third_patient,
        date(2025, 9, 1),
        program="bhi",
        status="completed",
        ended_on=date(2026, 1, 30),
    )
    build.time(bhi, date(2026, 1, 12), 50)
    cocm = build.episode(third_patient, date(2026, 3, 2))
    build.time(cocm, date(2026, 3, 3), 40)
    assert _row(_month(build, 2026, 3), cocm).month_kind == "initial"


def test_the_quick_evidence_check_agrees_with_the_worded_one():
    start, end = month_bounds(2026, 3)
    month_end = end - timedelta(days=1)
    began_options = (date(2024, 2, 29), date(2026, 2, 2), date(2026, 3, 31), date(2026, 4, 1))
    checked = 0
    for began, consent, visit, ended, status, has_plan in product(
        began_options,
        (None, "start", date(2026, 3, 31), date(2026, 4, 1)),
        (None, "start", "after", "year", "year-1", "month"),
        (None, date(2026, 2, 28), date(2026, 3, 1), date(2026, 5, 1)),
        ("active", "completed", "enrolled"),
        (True, False),
    ):
        if ended is not None and ended < began:
            continue
        visits = {
            "start": began,
            "after": began + timedelta(days=1),
            "year": date(began.year - 1, began.month, min(began.day, 28)),
            "year-1": date(began.year - 1, began.month, min(began.day, 28)) - timedelta(days=1),
            "month": began - timedelta(days=30),
        }
        ep = SimpleNamespace(
            started_on=began,
            consent_on=began if consent == "start" else consent,
            initiating_visit_on=visits.get(visit),
            ended_on=ended,
            status=status,
            has_plan=has_plan,
        )
        worded = _missing_evidence(ep, start, end)
        assert _evidence_complete(ep, start, month_end) == (not worded), (ep, worded)
        checked += 1
    assert checked > 1000
