"""Which minutes count in a billing month, which month kind it is, and the evidence checks."""

from datetime import UTC, date, datetime

import pytest

from cocm.billing import billing_month

MARCH = (2026, 3)
AFTER_MARCH = date(2026, 4, 2)


def _march(build):
    return billing_month(build.session, build.clinic.id, *MARCH, today=AFTER_MARCH)


def _row(rows, episode):
    [row] = [r for r in rows if r.episode_id == episode.id]
    return row


def test_minutes_before_a_mid_month_consent_do_not_count(build):
    patient = build.patient()
    episode = build.episode(
        patient, date(2026, 3, 2), consent_on=date(2026, 3, 10), initiating_visit_on=None
    )
    episode.initiating_visit_on = date(2026, 2, 20)
    build.time(episode, date(2026, 3, 5), 20)
    build.time(episode, date(2026, 3, 9), 10)
    build.time(episode, date(2026, 3, 10), 20)  # the consent day itself counts
    build.time(episode, date(2026, 3, 20), 20)
    build.session.flush()
    row = _row(_march(build), episode)
    assert row.minutes == 40
    assert row.minutes_before_consent == 30
    assert row.month_kind == "initial"
    assert row.codes == [("99492", 1)]
    assert row.missing == []


def test_care_manager_and_clinician_minutes_count_consultant_minutes_are_shown_only(build):
    patient = build.patient()
    episode = build.episode(patient, date(2026, 1, 5))
    build.time(episode, date(2026, 2, 3), 45)  # February was the initial month
    build.time(episode, date(2026, 3, 3), 25)
    build.time(episode, date(2026, 3, 4), 10, role="treating_clinician")
    build.time(episode, date(2026, 3, 11), 30, role="psychiatric_consultant")
    build.time(episode, date(2026, 3, 11), 15, role="psychiatric_consultant")
    # A care manager sitting in on the consultant's own service is not care-manager time.
    build.time(episode, date(2026, 3, 12), 20, activity="psychiatric_consultation")
    row = _row(_march(build), episode)
    assert row.minutes == 35
    assert row.consultant_minutes == 45
    assert row.month_kind == "later"
    assert row.codes == [("99493", 1)]
    assert (row.next_code, row.minutes_to_next) == ("99494", 41)


def test_two_staff_on_one_contact_count_once_at_the_longer_time(build):
    patient = build.patient()
    episode = build.episode(patient, date(2026, 1, 5))
    build.time(episode, date(2026, 2, 3), 45)
    call = build.contact(episode, date(2026, 3, 6))
    build.time(episode, date(2026, 3, 6), 20, contact=call)
    build.time(episode, date(2026, 3, 6), 15, role="treating_clinician", contact=call)
    other_call = build.contact(episode, date(2026, 3, 13))
    build.time(episode, date(2026, 3, 13), 12, contact=other_call)
    # Two separate entries without a contact are two pieces of work: both count.
    build.time(episode, date(2026, 3, 20), 5)
    build.time(episode, date(2026, 3, 20), 5)
    row = _row(_march(build), episode)
    assert row.minutes == 20 + 12 + 5 + 5
    assert row.codes == [("99493", 1)]


def test_superseded_entries_are_left_out(build):
    patient = build.patient()
    episode = build.episode(patient, date(2026, 3, 2))
    wrong = build.time(episode, date(2026, 3, 3), 50)
    fixed = build.time(episode, date(2026, 3, 3), 30)
    wrong.superseded_by_id = fixed.id
    build.session.flush()
    row = _row(_march(build), episode)
    assert row.minutes == 30
    assert row.codes == [("G2214", 1)]
    assert (row.next_code, row.minutes_to_next) == ("99492", 6)


def test_an_entry_without_an_episode_belongs_to_the_episode_covering_its_date(build):
    patient = build.patient()
    old = build.episode(patient, date(2025, 1, 6), status="completed", ended_on=date(2025, 3, 31))
    current = build.episode(patient, date(2026, 2, 2))
    build.time(old, date(2025, 2, 3), 40)
    build.time(current, date(2026, 3, 3), 36, link_episode=False)
    rows = _march(build)
    assert [r.episode_id for r in rows] == [current.id]
    assert rows[0].minutes == 36
    assert rows[0].codes == [("99492", 1)]


def test_the_initial_month_is_the_first_month_with_countable_minutes(build):
    patient = build.patient()
    episode = build.episode(patient, date(2026, 1, 5))
    # January has consultant minutes only and February none: March is the first month.
    build.time(episode, date(2026, 1, 20), 30, role="psychiatric_consultant")
    build.time(episode, date(2026, 3, 3), 40)
    assert _row(_march(build), episode).month_kind == "initial"
    april = billing_month(build.session, build.clinic.id, 2026, 4, today=date(2026, 5, 1))
    assert _row(april, episode).month_kind == "later"
    assert _row(april, episode).codes == []
    assert _row(april, episode).minutes_to_next == 16


def test_a_new_episode_after_six_months_without_services_starts_a_new_initial_month(build):
    patient = build.patient()
    first = build.episode(patient, date(2025, 1, 6), status="completed", ended_on=date(2025, 2, 27))
    build.time(first, date(2025, 1, 10), 50)
    build.time(first, date(2025, 2, 10), 50)
    # No CoCM services March to August 2025: six whole months.
    second = build.episode(patient, date(2025, 9, 2))
    build.time(second, date(2025, 9, 3), 40)
    build.time(second, date(2025, 10, 3), 40)
    sep = billing_month(build.session, build.clinic.id, 2025, 9, today=date(2025, 10, 1))
    assert _row(sep, second).month_kind == "initial"
    assert _row(sep, second).codes == [("99492", 1)]
    assert _row(sep, second).notes == []
    oct_ = billing_month(build.session, build.clinic.id, 2025, 10, today=date(2025, 11, 1))
    assert _row(oct_, second).month_kind == "later"
    assert _row(oct_, second).codes == [("99493", 1)]
    # The old episode's own months are unchanged.
    jan = billing_month(build.session, build.clinic.id, 2025, 1, today=date(2025, 2, 1))
    feb = billing_month(build.session, build.clinic.id, 2025, 2, today=date(2025, 3, 1))
    assert _row(jan, first).codes == [("99492", 1)]
    assert _row(feb, first).codes == [("99493", 1)]


def test_a_new_episode_within_six_months_of_services_bills_later_month_codes(build):
    patient = build.patient()
    first = build.episode(
        patient, date(2025, 1, 6), status="transferred", ended_on=date(2025, 2, 27)
    )
    build.time(first, date(2025, 2, 10), 50)
    # February is inside the six months before August (February to July).
    second = build.episode(patient, date(2025, 8, 4))
    build.time(second, date(2025, 8, 5), 40)
    aug = billing_month(build.session, build.clinic.id, 2025, 8, today=date(2025, 9, 1))
    row = _row(aug, second)
    assert row.month_kind == "later"
    assert row.codes == [("99493", 1)]
    assert row.notes == [
        f"later month: CoCM minutes under episode {first.id} on 2025-02-10, within six months"
    ]


def test_a_row_with_each_missing_check_shows_reasons_instead_of_codes(build):
    def patient_with(name, **episode_kwargs):
        episode = build.episode(build.patient(last=name), date(2026, 2, 2), **episode_kwargs)
        build.time(episode, date(2026, 2, 10), 40)
        build.time(episode, date(2026, 3, 10), 40)
        return episode

    complete = patient_with("Complete")
    no_consent = patient_with("NoConsent", consent_on=None)
    late_consent = patient_with("LateConsent", consent_on=date(2026, 4, 3))
    no_visit = patient_with("NoVisit", initiating_visit_on=None)
    old_visit = patient_with("OldVisit", initiating_visit_on=date(2025, 2, 1))
    just_in_time = patient_with("YearVisit", initiating_visit_on=date(2025, 2, 2))
    visit_after = patient_with("VisitAfter", initiating_visit_on=date(2026, 2, 5))
    no_plan = patient_with("NoPlan", plan_at=None)
    # 03:30 UTC on 1 April is still 31 March in New York: in time. 04:30 UTC is April.
    plan_late_evening = patient_with("PlanEvening", plan_at=datetime(2026, 4, 1, 3, 30, tzinfo=UTC))
    plan_april = patient_with("PlanApril", plan_at=datetime(2026, 4, 1, 4, 30, tzinfo=UTC))
    ended = patient_with("Ended", status="completed", ended_on=date(2026, 2, 27))
    no_end_date = patient_with("NoEndDate", status="disengaged")
    future = build.episode(
        build.patient(last="Future"),
        date(2026, 4, 6),
        consent_on=date(2026, 3, 20),
        initiating_visit_on=date(2026, 3, 16),
    )
    build.time(future, date(2026, 3, 30), 40)  # logged against an episode not yet started

    rows = _march(build)
    expected = {
        complete: [],
        just_in_time: [],
        plan_late_evening: [],
        no_consent: ["consent not documented"],
        late_consent: ["consent dated 2026-04-03, after this month"],
        no_visit: ["no initiating visit on record"],
        old_visit: [
            "initiating visit 2025-02-01 is more than 12 months before the episode started "
            "(2026-02-02)"
        ],
        visit_after: ["initiating visit 2026-02-05 is after the episode started (2026-02-02)"],
        no_plan: ["no care plan on record by the end of the month"],
        plan_april: ["no care plan on record by the end of the month"],
        ended: ["episode ended 2026-02-27, before this month"],
        no_end_date: ["episode is disengaged with no end date on record"],
        future: [
            "no care plan on record by the end of the month",
            "episode started 2026-04-06, after this month",
        ],
    }
    for episode, missing in expected.items():
        row = _row(rows, episode)
        assert row.missing == missing, row.patient_name
        # Minutes stay visible either way (a consent after the month leaves none countable).
        assert row.minutes == (0 if episode is late_consent else 40), row.patient_name
        assert row.codes == ([] if missing else [("99493", 1)]), row.patient_name
        assert row.billable is (not missing)
    assert _row(rows, late_consent).minutes_before_consent == 40
    # The future episode's minutes are its first: an initial month, 99492 once it is fixed.
    assert _row(rows, future).month_kind == "initial"
    assert len(rows) == len(expected)


def test_a_patient_is_billed_under_one_family_per_month(build):
    patient = build.patient()
    bhi = build.episode(
        patient, date(2026, 1, 5), program="bhi", status="completed", ended_on=date(2026, 3, 9)
    )
    cocm = build.episode(patient, date(2026, 3, 16))
    build.time(bhi, date(2026, 3, 4), 25)
    build.time(cocm, date(2026, 3, 17), 40)
    rows = _march(build)
    assert _row(rows, cocm).codes == [("99492", 1)]
    assert _row(rows, bhi).codes == []
    assert _row(rows, bhi).missing == [
        f"billed under episode {cocm.id} this month (one code family per patient per month)"
    ]


def test_bhi_months_and_the_clinic_boundary(build, make_clinic):
    patient = build.patient()
    bhi = build.episode(patient, date(2026, 2, 2), program="bhi")
    build.time(bhi, date(2026, 3, 2), 19)
    other = make_clinic()
    stranger = other.episode(other.patient(), date(2026, 2, 2))
    other.time(stranger, date(2026, 3, 2), 60)
    rows = _march(build)
    assert [r.episode_id for r in rows] == [bhi.id]
    assert rows[0].codes == []
    assert (rows[0].next_code, rows[0].minutes_to_next) == ("99484", 1)
    build.time(bhi, date(2026, 3, 31), 1)
    assert _march(build)[0].codes == [("99484", 1)]


def test_active_episodes_without_minutes_are_listed_and_closed_ones_are_not(build):
    quiet = build.episode(build.patient(last="Quiet"), date(2026, 1, 5))
    build.episode(
        build.patient(last="Gone"), date(2025, 1, 5), status="completed", ended_on=date(2025, 6, 1)
    )
    build.episode(build.patient(last="OldNoEnd"), date(2025, 1, 5), status="completed")
    rows = _march(build)
    assert [r.episode_id for r in rows] == [quiet.id]
    assert (rows[0].minutes, rows[0].codes, rows[0].month_kind) == (0, [], "initial")
    assert rows[0].care_manager == "Maria Lopez"


def test_the_month_is_open_until_it_ends(build):
    episode = build.episode(build.patient(), date(2026, 3, 2))
    rows = billing_month(build.session, build.clinic.id, 2026, 3, today=date(2026, 3, 31))
    assert _row(rows, episode).month_open is True
    rows = billing_month(build.session, build.clinic.id, 2026, 3, today=date(2026, 4, 1))
    assert _row(rows, episode).month_open is False


def test_bad_arguments(build):
    with pytest.raises(ValueError, match="month must be 1-12"):
        billing_month(build.session, build.clinic.id, 2026, 13)
    with pytest.raises(ValueError, match="unknown clinic id"):
        billing_month(build.session, 987654, 2026, 3)
    with pytest.raises(ValueError, match="no billing rule set in effect on 2019-05-01"):
        billing_month(build.session, build.clinic.id, 2019, 5)
