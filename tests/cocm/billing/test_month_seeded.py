"""The billing month of whole clinics against figures worked out by hand."""

from collections import defaultdict
from datetime import UTC, date, datetime

from freezegun import freeze_time
from sqlalchemy import select

from cocm.billing import billing_csv, billing_month, codes_for_minutes
from cocm.demo.seed import seed
from cocm.models import CarePlan, Clinic, Episode, Patient, TimeEntry


def _small_clinic(build, make_clinic):
    """Four patients with February and March minutes; a fifth in another clinic."""
    adams = build.episode(build.patient("Avery", "Adams", mrn="A-1"), date(2026, 2, 2))
    build.time(adams, date(2026, 2, 3), 45)
    call = build.contact(adams, date(2026, 3, 3))
    build.time(adams, date(2026, 3, 3), 20, contact=call)
    build.time(adams, date(2026, 3, 3), 15, role="treating_clinician", contact=call)
    build.time(adams, date(2026, 3, 10), 12)
    build.time(adams, date(2026, 3, 17), 30, role="psychiatric_consultant")

    brown = build.episode(
        build.patient("Blake", "Brown", mrn="B-2"),
        date(2026, 3, 9),
        initiating_visit_on=date(2026, 3, 2),
    )
    for day, minutes in ((9, 45), (16, 25), (18, 20)):
        build.time(brown, date(2026, 3, day), minutes)

    clark = build.episode(
        build.patient("Casey", "Clark", mrn="C-3"), date(2026, 1, 12), program="bhi"
    )
    build.time(clark, date(2026, 2, 11), 30)
    build.time(clark, date(2026, 3, 4), 10)
    build.time(clark, date(2026, 3, 11), 5)

    diaz = build.episode(build.patient("Drew", "Diaz", mrn="D-4"), date(2026, 2, 16), plan_at=None)
    build.time(diaz, date(2026, 2, 17), 30)
    wrong = build.time(diaz, date(2026, 3, 2), 40)
    wrong.superseded_by_id = build.time(diaz, date(2026, 3, 2), 35).id

    elsewhere = make_clinic()
    stranger = elsewhere.episode(elsewhere.patient("Eli", "Adams"), date(2026, 2, 2))
    elsewhere.time(stranger, date(2026, 3, 5), 90)
    build.session.flush()
    return adams, brown, clark, diaz


def test_a_small_clinic_month_matches_the_hand_computed_figures(build, make_clinic):
    adams, brown, clark, diaz = _small_clinic(build, make_clinic)
    with freeze_time("2026-03-20 14:00:00"):
        rows = billing_month(build.session, build.clinic.id, 2026, 3)
    got = [
        (
            r.patient_name,
            r.episode_id,
            r.program,
            r.month_kind,
            r.minutes,
            r.consultant_minutes,
            r.codes,
            r.missing,
            r.next_code,
            r.minutes_to_next,
        )
        for r in rows
    ]
    assert got == [
        # 20 (contact shared with the clinician, counted once) + 12 = 32; the consultant's 30
        # shown only. February had minutes, so March is a later month: 99493 from 31.
        ("Avery Adams", adams.id, "cocm", "later", 32, 30, [("99493", 1)], [], "99494", 44),
        # Started in March: initial month. 45 + 25 + 20 = 90: 99492 and one 99494 (86-115).
        ("Blake Brown", brown.id, "cocm", "initial", 90, 0,
         [("99492", 1), ("99494", 1)], [], "99494", 26),
        # BHI: 10 + 5 = 15, five short of 99484.
        ("Casey Clark", clark.id, "bhi", "later", 15, 0, [], [], "99484", 5),
        # The superseded 40 is replaced by 35; it would be 99493 but there is no care plan.
        ("Drew Diaz", diaz.id, "cocm", "later", 35, 0, [],
         ["no care plan on record by the end of the month"], "99494", 41),
    ]  # fmt: skip
    assert all(r.month_open for r in rows)  # 20 March: the month is still running
    assert {r.care_manager for r in rows} == {"Maria Lopez"}
    assert [r.mrn for r in rows] == ["A-1", "B-2", "C-3", "D-4"]

    lines = billing_csv(rows).splitlines()
    assert lines[0] == (
        "clinic,month,patient_id,patient,mrn,care_manager,episode_id,program,episode_status,"
        "month_kind,minutes,consultant_minutes,minutes_before_consent,codes,G2214,99492,99493,"
        "99494,99484,missing,next_code,minutes_to_next,notes"
    )
    slug = build.clinic.slug
    assert lines[2] == (
        f"{slug},2026-03,{brown.patient_id},Blake Brown,B-2,Maria Lopez,{brown.id},cocm,active,"
        'initial,90,0,0,"99492, 99494",,1,,1,,,99494,26,'
    )
    assert lines[4].endswith(",,,,,,no care plan on record by the end of the month,99494,41,")
    assert len(lines) == 5


def _by_hand(session, clinic: Clinic, year: int, month: int) -> dict[int, tuple]:
    """Plain Python over the demo rows (all on or after consent): minutes, month kind and codes
    per episode."""
    start = date(year, month, 1)
    end = date(year + month // 12, month % 12 + 1, 1)
    minutes: dict[int, int] = defaultdict(int)
    earlier: set[int] = set()
    entries = session.scalars(
        select(TimeEntry).join(Patient).where(Patient.clinic_id == clinic.id)
    ).all()
    per_contact: dict[int, int] = {}
    for entry in entries:
        # The demo's case reviews add consultant time (never counted) and superseded entries.
        if (
            entry.role == "psychiatric_consultant"
            or entry.activity == "psychiatric_consultation"
            or entry.superseded_by_id is not None
            or entry.minutes == 0
        ):
            continue
        if entry.contact_id is not None:
            # Two staff on one contact count once, at the longest entry.
            previous = per_contact.get(entry.contact_id, 0)
            per_contact[entry.contact_id] = max(previous, entry.minutes)
            extra = max(0, entry.minutes - previous)
        else:
            extra = entry.minutes
        if start <= entry.performed_on < end:
            minutes[entry.episode_id] += extra
        elif entry.performed_on < start:
            earlier.add(entry.episode_id)
    expected = {}
    episodes = session.scalars(select(Episode).join(Patient).where(Patient.clinic_id == clinic.id))
    for episode in episodes:
        if episode.started_on >= end or (episode.ended_on and episode.ended_on < start):
            continue
        kind = "later" if episode.id in earlier else "initial"
        plan = session.scalar(select(CarePlan.created_at).where(CarePlan.episode_id == episode.id))
        assert plan < datetime(year, month, 1, tzinfo=UTC) or episode.started_on >= start
        total = minutes[episode.id]
        codes = codes_for_minutes(episode.program, total, kind == "initial")
        expected[episode.id] = (total, kind, codes)
    return expected


def test_the_demo_clinic_month_matches_a_plain_python_count(session):
    with freeze_time("2026-05-20 15:00:00"):
        seed(patients=40, echo=lambda _line: None)
        clinic = session.scalar(select(Clinic).where(Clinic.slug == "riverside"))
        for year, month in ((2026, 3), (2026, 4), (2026, 5)):
            rows = billing_month(session, clinic.id, year, month)
            assert len(rows) >= 10
            got = {r.episode_id: (r.minutes, r.month_kind, r.codes) for r in rows}
            assert got == _by_hand(session, clinic, year, month)
            assert all(r.missing == [] for r in rows)
        assert any(r.month_kind == "initial" and r.codes for r in rows)
        assert any(r.month_kind == "later" and r.codes for r in rows)
