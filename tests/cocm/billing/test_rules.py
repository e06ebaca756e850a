"""codes_for_minutes at every boundary of the DESIGN 7 table, payer rule sets, and bad input."""

from dataclasses import replace
from datetime import date

import pytest
from freezegun import freeze_time

from cocm.billing import (
    MEDICARE,
    NextThreshold,
    RuleSet,
    Thresholds,
    codes_for_minutes,
    rule_set_for,
)


def _cocm(base, add_ons=0):
    return [(base, 1)] + ([("99494", add_ons)] if add_ons else [])


# (minutes, expected) straight from the table: each band's last minute and the next band's first.
INITIAL = [
    (0, []),
    (1, []),
    (15, []),
    (16, [("G2214", 1)]),
    (35, [("G2214", 1)]),
    (36, _cocm("99492")),
    (85, _cocm("99492")),
    (86, _cocm("99492", 1)),
    (115, _cocm("99492", 1)),
    (116, _cocm("99492", 2)),
    (145, _cocm("99492", 2)),
    (146, _cocm("99492", 3)),
    (175, _cocm("99492", 3)),
    (176, _cocm("99492", 4)),
    (205, _cocm("99492", 4)),
    (206, _cocm("99492", 5)),
    (600, _cocm("99492", 1 + (600 - 86) // 30)),
]
LATER = [
    (0, []),
    (15, []),
    (16, [("G2214", 1)]),
    (30, [("G2214", 1)]),
    (31, _cocm("99493")),
    (75, _cocm("99493")),
    (76, _cocm("99493", 1)),
    (105, _cocm("99493", 1)),
    (106, _cocm("99493", 2)),
    (135, _cocm("99493", 2)),
    (136, _cocm("99493", 3)),
    (165, _cocm("99493", 3)),
    (166, _cocm("99493", 4)),
    (600, _cocm("99493", 1 + (600 - 76) // 30)),
]
BHI = [(0, []), (19, []), (20, [("99484", 1)]), (21, [("99484", 1)]), (600, [("99484", 1)])]


@pytest.mark.parametrize(("minutes", "expected"), INITIAL)
def test_cocm_initial_month(minutes, expected):
    assert codes_for_minutes("cocm", minutes, True) == expected


@pytest.mark.parametrize(("minutes", "expected"), LATER)
def test_cocm_later_months(minutes, expected):
    assert codes_for_minutes("cocm", minutes, False) == expected


@pytest.mark.parametrize(("minutes", "expected"), BHI)
@pytest.mark.parametrize("initial", [True, False, None])
def test_bhi_ignores_the_month_kind(minutes, expected, initial):
    assert codes_for_minutes("bhi", minutes, initial) == expected


def test_the_two_families_never_mix():
    for minutes in range(0, 301):
        for initial in (True, False):
            cocm = {code for code, _ in codes_for_minutes("cocm", minutes, initial)}
            bhi = {code for code, _ in codes_for_minutes("bhi", minutes, initial)}
            assert "99484" not in cocm
            assert bhi <= {"99484"}
            # G2214 and a base code never appear together.
            assert not ({"G2214"} <= cocm and cocm & {"99492", "99493"})


def test_units_grow_by_one_every_thirty_minutes_and_never_shrink():
    for initial in (True, False):
        previous = 0
        for minutes in range(0, 400):
            units = dict(codes_for_minutes("cocm", minutes, initial)).get("99494", 0)
            assert units in (previous, previous + 1)
            previous = units


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ccm", 40, True), "unknown program 'ccm'"),
        (("CoCM", 40, True), "unknown program 'CoCM'"),
        ((None, 40, True), "unknown program None"),
        (("cocm", -1, True), "cannot be negative"),
        (("bhi", -20, False), "cannot be negative"),
        (("cocm", 40.0, True), "whole number"),
        (("cocm", "40", True), "whole number"),
        (("cocm", True, True), "whole number"),
        (("cocm", None, True), "whole number"),
        (("cocm", 40, None), "initial_month is required"),
        (("cocm", 40, "yes"), "initial_month must be True or False"),
    ],
)
def test_bad_input_raises_value_error_naming_the_problem(args, message):
    with pytest.raises(ValueError, match=message):
        codes_for_minutes(*args)


def test_a_payer_cap_on_99494_units():
    capped = replace(MEDICARE, name="Capped payer", payer="capped", max_add_on_units=2)
    assert codes_for_minutes("cocm", 145, True, rules=capped) == _cocm("99492", 2)
    assert codes_for_minutes("cocm", 300, True, rules=capped) == _cocm("99492", 2)
    assert codes_for_minutes("cocm", 300, False, rules=capped) == _cocm("99493", 2)
    # Once the cap is reached there is no next threshold to chase.
    assert capped.next_threshold("cocm", 150, True) is None
    assert capped.next_threshold("cocm", 100, True) == NextThreshold(16, "99494")
    no_add_on = replace(capped, max_add_on_units=0)
    assert codes_for_minutes("cocm", 300, True, rules=no_add_on) == _cocm("99492")
    assert no_add_on.next_threshold("cocm", 40, True) is None


def test_a_payer_with_changed_thresholds():
    payer = replace(
        MEDICARE,
        name="Stricter payer",
        payer="strict",
        cocm_initial=Thresholds(base_code="99492", g2214_from=None, base_from=40, add_on_from=90),
        cocm_later=Thresholds(base_code="99493", g2214_from=20, base_from=35, add_on_from=80),
        bhi_min_minutes=25,
        add_on_step=20,
    )
    assert codes_for_minutes("cocm", 36, True, rules=payer) == []  # no G2214, 99492 from 40
    assert codes_for_minutes("cocm", 39, True, rules=payer) == []
    assert codes_for_minutes("cocm", 40, True, rules=payer) == _cocm("99492")
    assert codes_for_minutes("cocm", 109, True, rules=payer) == _cocm("99492", 1)
    assert codes_for_minutes("cocm", 110, True, rules=payer) == _cocm("99492", 2)
    assert codes_for_minutes("cocm", 19, False, rules=payer) == []
    assert codes_for_minutes("cocm", 20, False, rules=payer) == [("G2214", 1)]
    assert codes_for_minutes("cocm", 35, False, rules=payer) == _cocm("99493")
    assert codes_for_minutes("bhi", 24, rules=payer) == []
    assert codes_for_minutes("bhi", 25, rules=payer) == [("99484", 1)]
    # The default rules are untouched.
    assert codes_for_minutes("cocm", 36, True) == _cocm("99492")


def test_rule_set_for_picks_the_set_in_effect_and_falls_back_to_the_default():
    newer = replace(MEDICARE, name="2027 rules", effective_from=date(2027, 1, 1))
    payer = replace(MEDICARE, name="Acme", payer="acme", effective_from=date(2026, 7, 1))
    sets = (MEDICARE, newer, payer)
    assert rule_set_for(date(2026, 12, 31), rule_sets=sets) is MEDICARE
    assert rule_set_for(date(2027, 1, 1), rule_sets=sets) is newer
    assert rule_set_for(date(2026, 7, 1), "acme", rule_sets=sets) is payer
    assert rule_set_for(date(2026, 6, 30), "acme", rule_sets=sets) is MEDICARE
    assert rule_set_for(date(2026, 7, 1), "other", rule_sets=sets) is MEDICARE
    assert rule_set_for(date(2026, 3, 1)) is MEDICARE
    with pytest.raises(ValueError, match="no billing rule set in effect on 2020-12-31"):
        rule_set_for(date(2020, 12, 31))


def test_codes_for_minutes_defaults_to_the_rules_in_effect_today():
    with freeze_time("2026-03-15"):
        assert codes_for_minutes("cocm", 31, False) == _cocm("99493")
    with freeze_time("2020-06-01"), pytest.raises(ValueError, match="no billing rule set"):
        codes_for_minutes("cocm", 31, False)


@pytest.mark.parametrize(
    ("program", "minutes", "initial", "expected"),
    [
        ("cocm", 0, True, NextThreshold(16, "G2214")),
        ("cocm", 20, True, NextThreshold(16, "99492")),
        ("cocm", 36, True, NextThreshold(50, "99494")),
        ("cocm", 86, True, NextThreshold(30, "99494")),
        ("cocm", 115, True, NextThreshold(1, "99494")),
        ("cocm", 22, False, NextThreshold(9, "99493")),
        ("cocm", 75, False, NextThreshold(1, "99494")),
        ("cocm", 76, False, NextThreshold(30, "99494")),
        ("bhi", 0, False, NextThreshold(20, "99484")),
        ("bhi", 19, False, NextThreshold(1, "99484")),
        ("bhi", 20, False, None),
    ],
)
def test_next_threshold(program, minutes, initial, expected):
    assert MEDICARE.next_threshold(program, minutes, initial) == expected


def test_rule_sets_reject_thresholds_out_of_order():
    with pytest.raises(ValueError, match="out of order"):
        Thresholds(base_code="99492", g2214_from=40, base_from=36, add_on_from=86)
    with pytest.raises(ValueError, match="out of order"):
        Thresholds(base_code="99492", g2214_from=16, base_from=90, add_on_from=86)
    with pytest.raises(ValueError, match="cannot be negative"):
        RuleSet("x", date(2026, 1, 1), MEDICARE.cocm_initial, MEDICARE.cocm_later, 20, 30, -1)
