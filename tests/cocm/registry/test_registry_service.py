from datetime import date

import pytest
from freezegun import freeze_time

from cocm.billing import billing_month
from cocm.registry import RegistryFilters, registry, registry_rows
from tests.cocm.registry.builders import (
    assessment,
    at,
    contact,
    count_statements,
    message,
    queue_item,
    reviewed,
    schedule,
    time_entry,
)
from tests.factories import ClinicFactory, EpisodeFactory, PatientFactory, staff_with_role

TODAY = date(2026, 3, 16)  # a Monday; episodes start 2026-01-05 (10 weeks earlier)


@pytest.fixture
def clinic(session):
    return ClinicFactory()


@pytest.fixture
def manager(clinic):
    return staff_with_role(clinic, "care_manager", full_name="Maria Lopez")


def _episode(clinic, manager, **kwargs):
    patient_kwargs = {k[8:]: kwargs.pop(k) for k in list(kwargs) if k.startswith("patient_")}
    patient = PatientFactory(clinic=clinic, care_manager_id=manager.id, **patient_kwargs)
    return EpisodeFactory(patient=patient, **kwargs)


def _row(clinic, episode, today=TODAY, **filters):
    rows = registry_rows(_session(), {clinic.id}, RegistryFilters(**filters), today)
    return next(r for r in rows if r.episode_id == episode.id)


def _session():
    from cocm import db

    return db.Session()


def test_row_columns(clinic, manager):
    ep = _episode(clinic, manager, patient_first_name="Ana", patient_last_name="Ruiz")
    p = ep.patient
    assessment(p, ep, "PHQ-9", 18, at("2026-01-05"))
    assessment(p, ep, "PHQ-9", 12, at("2026-02-02"))
    assessment(p, None, "PHQ-9", 9, at("2026-03-02"))  # no episode id: belongs by date
    assessment(p, ep, "GAD-7", 14, at("2026-01-05"))
    assessment(p, ep, "GAD-7", 7, at("2026-03-02"))
    contact(p, ep, manager, at("2026-01-05"), template="initial_assessment", minutes=45)
    contact(p, ep, manager, at("2026-01-20"))
    reviewed(p, ep, at("2026-03-04"))
    contact(
        p,
        ep,
        manager,
        at("2026-03-09"),
        next_contact_at=at("2026-03-23"),
        next_contact_confirmed_at=at("2026-03-10"),
        next_action="Review sleep diary",
    )
    time_entry(p, ep, manager, date(2026, 2, 20), 50)  # earlier month: this is a later month
    time_entry(p, ep, manager, date(2026, 3, 9), 12)
    time_entry(p, ep, manager, date(2026, 3, 10), 8, activity="care_coordination")
    time_entry(p, ep, manager, date(2026, 3, 10), 30, role="psychiatric_consultant")

    row = _row(clinic, ep)
    assert (row.patient_name, row.mrn, row.care_manager) == ("Ruiz, Ana", p.mrn, "Maria Lopez")
    assert row.status == "active" and row.enrolled_on == date(2026, 1, 5)
    assert row.weeks_in_treatment == 10
    assert (row.phq9.baseline, row.phq9.baseline_on) == (18, date(2026, 1, 5))
    assert (row.phq9.last, row.phq9.last_on) == (9, date(2026, 3, 2))
    assert row.phq9.change == pytest.approx(-50.0)
    assert row.phq9.severity == "mild"
    assert (row.gad7.baseline, row.gad7.last, row.gad7.change) == (14, 7, 50.0 - 100)
    assert row.last_contact_on == date(2026, 3, 9)
    assert row.next_contact_on == date(2026, 3, 23) and row.next_contact_confirmed
    assert row.next_action == "Review sleep diary" and not row.next_action_suggested
    assert row.minutes_month == 20  # consultant minutes never count
    assert (row.month_kind, row.threshold_code, row.threshold_minutes) == ("later", "99493", 31)
    assert (row.next_code, row.minutes_to_next) == ("99493", 11)
    assert row.flags == {}


def test_initial_month_threshold_and_next_code(clinic, manager):
    ep = _episode(clinic, manager, started_on=date(2026, 3, 2), consent_on=date(2026, 3, 2))
    time_entry(ep.patient, ep, manager, date(2026, 3, 3), 20)
    row = _row(clinic, ep)
    assert (row.month_kind, row.threshold_code, row.threshold_minutes) == ("initial", "99492", 36)
    assert row.threshold_percent == 56
    assert (row.next_code, row.minutes_to_next) == ("99492", 16)


def test_a_later_month_is_told_by_earlier_countable_minutes_only(clinic, manager):
    # Only what came before the month decides: uncounted or pre-consent minutes do not, an
    # entry logged without an episode but dated within it does.
    ep = _episode(clinic, manager, consent_on=date(2026, 1, 20))
    time_entry(ep.patient, ep, manager, date(2026, 1, 10), 30)  # before consent
    time_entry(ep.patient, ep, manager, date(2026, 2, 3), 15, activity="psychiatric_consultation")
    time_entry(ep.patient, ep, manager, date(2026, 3, 3), 20)
    assert _row(clinic, ep).month_kind == "initial"
    time_entry(ep.patient, None, manager, date(2026, 2, 10), 5)
    assert _row(clinic, ep).month_kind == "later"


def test_bhi_threshold(clinic, manager):
    ep = _episode(clinic, manager, program="bhi")
    time_entry(ep.patient, ep, manager, date(2026, 3, 3), 5)
    row = _row(clinic, ep)
    assert (row.threshold_code, row.threshold_minutes, row.minutes_to_next) == ("99484", 20, 15)


def test_minutes_agree_with_the_billing_month(clinic, manager):
    clinician = staff_with_role(clinic, "treating_clinician")
    episodes = []
    for n in range(4):
        ep = _episode(clinic, manager, consent_on=date(2026, 1, 5 + n))
        episodes.append(ep)
        p = ep.patient
        call = contact(p, ep, manager, at("2026-03-04"))
        time_entry(p, ep, manager, date(2026, 3, 4), 10 + n, contact_id=call.id)
        time_entry(
            p, ep, clinician, date(2026, 3, 4), 7, role="treating_clinician", contact_id=call.id
        )
        time_entry(p, None, manager, date(2026, 3, 5), 9 * n)
        time_entry(p, ep, manager, date(2026, 1, 6), 5 * n)
        time_entry(p, ep, manager, date(2026, 3, 6), 40, superseded_by_id=None if n else None)
        time_entry(p, ep, manager, date(2026, 3, 7), 15, activity="psychiatric_consultation")
    with freeze_time("2026-03-16 15:00:00"):
        billed = {r.episode_id: r for r in billing_month(_session(), clinic.id, 2026, 3, TODAY)}
    rows = {r.episode_id: r for r in registry_rows(_session(), {clinic.id}, None, TODAY)}
    for ep in episodes:
        assert rows[ep.id].minutes_month == billed[ep.id].minutes
        assert rows[ep.id].month_kind == billed[ep.id].month_kind
        assert rows[ep.id].next_code == billed[ep.id].next_code
        assert rows[ep.id].minutes_to_next == billed[ep.id].minutes_to_next


def test_only_allowed_clinics_and_open_statuses_by_default(clinic, manager):
    mine = _episode(clinic, manager)
    other_clinic = ClinicFactory()
    other = _episode(other_clinic, staff_with_role(other_clinic, "care_manager"))
    done = _episode(clinic, manager, status="completed", ended_on=date(2026, 3, 1))
    ids = {r.episode_id for r in registry_rows(_session(), {clinic.id}, None, TODAY)}
    assert ids == {mine.id}
    wider = RegistryFilters(statuses=("active", "completed"))
    ids = {r.episode_id for r in registry_rows(_session(), {clinic.id}, wider, TODAY)}
    assert ids == {mine.id, done.id}
    assert other.id not in ids
    # A clinic filter narrows the allowed clinics and never widens them.
    narrowed = RegistryFilters(clinic_id=other_clinic.id)
    assert registry_rows(_session(), {clinic.id}, narrowed, TODAY) == []


def test_care_manager_filter(clinic, manager):
    colleague = staff_with_role(clinic, "care_manager")
    mine = _episode(clinic, manager)
    _episode(clinic, colleague)
    rows = registry_rows(
        _session(), {clinic.id}, RegistryFilters(care_manager_id=manager.id), TODAY
    )
    assert [r.episode_id for r in rows] == [mine.id]


def test_unknown_filters_are_refused():
    with pytest.raises(ValueError, match="flag"):
        RegistryFilters(flag="nonsense")
    with pytest.raises(ValueError, match="sort"):
        RegistryFilters(sort="nonsense")
    with pytest.raises(ValueError, match="status"):
        RegistryFilters(statuses=("nonsense",))


def test_statement_count_does_not_grow_with_patients(engine, clinic, manager):
    def build(n):
        for i in range(n):
            ep = _episode(clinic, manager)
            p = ep.patient
            assessment(p, ep, "PHQ-9", 15, at("2026-01-05"))
            assessment(p, ep, "PHQ-9", 14, at("2026-03-02"))
            assessment(p, ep, "GAD-7", 11, at("2026-03-02"))
            contact(p, ep, manager, at("2026-03-02"), next_contact_at=at("2026-03-09"))
            time_entry(p, ep, manager, date(2026, 3, 2), 10 + i)
            queue_item(p, at("2026-03-15"), kind="risk_words")
            schedule(ep, at("2026-03-01"))
            message(p, at("2026-03-15"), "hello")

    build(5)
    _session().flush()
    with count_statements(engine) as small:
        assert len(registry_rows(_session(), {clinic.id}, None, TODAY)) == 5
    build(35)
    _session().flush()
    with count_statements(engine) as large:
        assert len(registry_rows(_session(), {clinic.id}, None, TODAY)) == 40
    assert len(small) == len(large) <= 12


def test_counts_and_flag_filter(clinic, manager):
    risky = _episode(clinic, manager)
    queue_item(risky.patient, at("2026-03-15"), kind="risk_answer")
    calm = _episode(clinic, manager)
    reviewed(calm.patient, calm, at("2026-03-01"))
    result = registry(_session(), {clinic.id}, RegistryFilters(flag="risk"), TODAY)
    assert [r.episode_id for r in result.rows] == [risky.id]
    assert result.counts["risk"] == 1 and result.total == 2
    # Both are unreviewed for 60 days (risky) or reviewed recently (calm).
    assert result.counts["no_psych_review"] == 1
    assert result.counts["case_review"] == 1


def test_default_sort_risk_then_not_improving_then_overdue(clinic, manager):
    plain = _episode(clinic, manager, patient_last_name="Aaron")
    overdue = _episode(clinic, manager, patient_last_name="Baker")
    contact(overdue.patient, overdue, manager, at("2026-03-01"), next_contact_at=at("2026-03-10"))
    stuck = _episode(clinic, manager, patient_last_name="Cole")
    assessment(stuck.patient, stuck, "PHQ-9", 18, at("2026-01-05"))
    assessment(stuck.patient, stuck, "PHQ-9", 17, at("2026-03-14"))
    risky = _episode(clinic, manager, patient_last_name="Diaz")
    queue_item(risky.patient, at("2026-03-16", 13), kind="risk_words")
    for ep in (plain, overdue, stuck, risky):
        reviewed(ep.patient, ep, at("2026-03-01"))
    rows = registry_rows(_session(), {clinic.id}, None, TODAY)
    assert [r.episode_id for r in rows] == [risky.id, stuck.id, overdue.id, plain.id]


def test_sort_by_column_puts_missing_values_last(clinic, manager):
    low = _episode(clinic, manager)
    assessment(low.patient, low, "PHQ-9", 6, at("2026-03-02"))
    high = _episode(clinic, manager)
    assessment(high.patient, high, "PHQ-9", 20, at("2026-03-02"))
    none = _episode(clinic, manager)
    up = registry_rows(_session(), {clinic.id}, RegistryFilters(sort="phq9_last"), TODAY)
    assert [r.episode_id for r in up] == [low.id, high.id, none.id]
    down = registry_rows(
        _session(), {clinic.id}, RegistryFilters(sort="phq9_last", descending=True), TODAY
    )
    assert [r.episode_id for r in down] == [high.id, low.id, none.id]


def test_every_sort_key_works(clinic, manager):
    from cocm.registry import SORTS

    _episode(clinic, manager)
    _episode(clinic, manager)
    for key in SORTS:
        for descending in (False, True):
            rows = registry_rows(
                _session(), {clinic.id}, RegistryFilters(sort=key, descending=descending), TODAY
            )
            assert len(rows) == 2


def test_a_later_episode_does_not_borrow_earlier_scores(clinic, manager):
    old = _episode(
        clinic, manager, status="completed", started_on=date(2025, 1, 6), ended_on=date(2025, 6, 1)
    )
    assessment(old.patient, None, "PHQ-9", 22, at("2025-02-03"))
    new = EpisodeFactory(patient=old.patient, started_on=date(2026, 1, 5))
    assessment(old.patient, None, "PHQ-9", 8, at("2026-01-06"))
    row = _row(clinic, new)
    assert (row.phq9.baseline, row.phq9.last) == (8, 8)


@pytest.mark.parametrize("sort", ["priority", "phq9_last"])
def test_a_window_of_rows_keeps_counts_over_all(clinic, manager, sort):
    """A page is the same slice of the same order; the chips and totals still count every row
    (light sorts build full rows for the window only, the others for all)."""
    episodes = [_episode(clinic, manager, patient_last_name=name) for name in "ABCDE"]
    for n, ep in enumerate(episodes):
        assessment(ep.patient, ep, "PHQ-9", 5 + n, at("2026-03-02"))
    queue_item(episodes[3].patient, at("2026-03-15"), kind="risk_answer")
    filters = RegistryFilters(sort=sort)
    every = registry(_session(), {clinic.id}, filters, TODAY)
    window = registry(_session(), {clinic.id}, filters, TODAY, offset=2, limit=2)
    assert [r.episode_id for r in window.rows] == [r.episode_id for r in every.rows[2:4]]
    assert window.rows == every.rows[2:4]  # whole rows, not only their order
    assert (window.counts, window.total, window.matching) == (every.counts, 5, 5)
    assert window.counts["risk"] == 1
    last = registry(_session(), {clinic.id}, filters, TODAY, offset=99, limit=2)
    assert last.offset == 4 and [r.episode_id for r in last.rows] == [every.rows[4].episode_id]
    flagged = registry(
        _session(), {clinic.id}, RegistryFilters(flag="risk"), TODAY, offset=0, limit=2
    )
    assert flagged.matching == 1 and flagged.total == 5
