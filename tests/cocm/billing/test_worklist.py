"""The month-end worklist: who is a few minutes short of a code, smallest gap first."""

from datetime import date

import pytest
from freezegun import freeze_time

from cocm.billing import month_end_worklist
from tests.factories import staff_with_role


def test_patients_within_reach_sorted_by_the_smallest_gap(build):
    def episode(last, started, program="cocm", **kwargs):
        return build.episode(build.patient(last=last), started, program=program, **kwargs)

    later = episode("Later", date(2026, 1, 5))  # 22 later-month minutes: 99493 at 31
    build.time(later, date(2026, 2, 2), 40)
    build.time(later, date(2026, 3, 2), 22)
    initial = episode("Initial", date(2026, 3, 2))  # 30 initial minutes: 99492 at 36
    build.time(initial, date(2026, 3, 3), 30)
    bhi = episode("Bhi", date(2026, 3, 2), program="bhi")  # 12 minutes: 99484 at 20
    build.time(bhi, date(2026, 3, 3), 12)
    add_on = episode("AddOn", date(2026, 1, 5))  # 70 later minutes: 99494 at 76
    build.time(add_on, date(2026, 2, 2), 40)
    build.time(add_on, date(2026, 3, 2), 70)
    far = episode("Far", date(2026, 1, 5))  # 40 later minutes: 99494 is 36 away
    build.time(far, date(2026, 2, 2), 40)
    build.time(far, date(2026, 3, 2), 40)
    done = episode("Done", date(2026, 3, 2), program="bhi")  # nothing more to earn
    build.time(done, date(2026, 3, 3), 25)
    episode("Nothing", date(2026, 3, 2))  # 0 minutes: G2214 is 16 away
    ended = episode("Ended", date(2026, 1, 5), status="completed", ended_on=date(2026, 3, 6))
    build.time(ended, date(2026, 3, 3), 25)
    no_plan = episode("NoPlan", date(2026, 3, 2), plan_at=None)
    build.time(no_plan, date(2026, 3, 3), 10)

    with freeze_time("2026-03-25 16:00:00"):
        items = month_end_worklist(build.session, build.clinic.id)
    got = [(i.patient_name, i.minutes, i.minutes_needed, i.next_code, i.days_left) for i in items]
    assert got == [
        ("Dana AddOn", 70, 6, "99494", 7),
        ("Dana Initial", 30, 6, "99492", 7),
        ("Dana NoPlan", 10, 6, "G2214", 7),
        ("Dana Bhi", 12, 8, "99484", 7),
        ("Dana Later", 22, 9, "99493", 7),
    ]
    assert items[2].missing == ("no care plan on record by the end of the month",)
    assert items[0].missing == ()
    assert {i.month_kind for i in items} == {"initial", "later"}

    wider = month_end_worklist(build.session, build.clinic.id, date(2026, 3, 31), max_gap=40)
    assert [i.patient_name for i in wider][-2:] == ["Dana Nothing", "Dana Far"]
    assert {i.days_left for i in wider} == {1}


def test_the_worklist_for_one_care_manager_and_bad_input(build):
    other = staff_with_role(build.clinic, "care_manager", full_name="James Chen")
    mine = build.episode(build.patient(last="Mine"), date(2026, 3, 2))
    theirs = build.episode(build.patient(last="Theirs", care_manager_id=other.id), date(2026, 3, 2))
    build.time(mine, date(2026, 3, 3), 30)
    build.time(theirs, date(2026, 3, 3), 30)
    items = month_end_worklist(
        build.session, build.clinic.id, date(2026, 3, 10), care_manager_id=other.id
    )
    assert [(i.episode_id, i.care_manager, i.days_left) for i in items] == [
        (theirs.id, "James Chen", 22)
    ]
    with pytest.raises(ValueError, match="max_gap must be at least 1"):
        month_end_worklist(build.session, build.clinic.id, date(2026, 3, 10), max_gap=0)
    with pytest.raises(ValueError, match="unknown clinic id"):
        month_end_worklist(build.session, 987654)
