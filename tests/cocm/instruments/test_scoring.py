"""score(code, answers): the DESIGN section 8 contract."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cocm.instruments import INSTRUMENTS, Score, score

ITEM_COUNT = {"PHQ-9": 9, "GAD-7": 7, "PHQ-2": 2, "GAD-2": 2}
MAX_TOTAL = {"PHQ-9": 27, "GAD-7": 21, "PHQ-2": 6, "GAD-2": 6}
SEVERITY_ORDER = ["minimal", "mild", "moderate", "moderately severe", "severe"]


def answers_for(total: int, n: int) -> list[int]:
    """n answers 0-3 that add up to total."""
    out = []
    for _ in range(n):
        take = min(3, total)
        out.append(take)
        total -= take
    assert total == 0
    return out


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (21, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_band_edges(total, severity):
    result = score("PHQ-9", answers_for(total, 9))
    assert (result.total, result.severity, result.complete) == (total, severity, True)
    assert result.positive is None


@pytest.mark.parametrize(
    ("total", "severity"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (19, "severe"),
        (20, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_band_edges(total, severity):
    result = score("GAD-7", answers_for(total, 7))
    assert (result.total, result.severity, result.complete) == (total, severity, True)


@pytest.mark.parametrize("code", ["PHQ-2", "GAD-2"])
@pytest.mark.parametrize(
    ("total", "positive"),
    [(0, False), (1, False), (2, False), (3, True), (4, True), (5, True), (6, True)],
)
def test_short_forms_positive_at_three(code, total, positive):
    result = score(code, answers_for(total, 2))
    assert result.total == total
    assert result.positive is positive
    assert result.severity is None
    assert result.risk is False


def test_result_shape_and_answers_kept():
    answers = [1, 2, 0, 3, None, 1, 0, 0, 0, 2]
    result = score("PHQ-9", answers)
    assert isinstance(result, Score)
    assert result.answers == tuple(answers)
    assert result.code == "PHQ-9"
    assert result.total is None and result.severity is None and result.complete is False
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.total = 3  # type: ignore[misc]


def test_partial_short_form_has_no_positive():
    result = score("PHQ-2", [3, None])
    assert (result.total, result.positive, result.complete) == (None, None, False)


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_item9_above_zero_is_risk(item9):
    assert score("PHQ-9", [0] * 8 + [item9]).risk is True
    # a partial assessment still raises the signal
    assert score("PHQ-9", [None] * 8 + [item9, None]).risk is True


@pytest.mark.parametrize("item9", [0, None])
def test_item9_zero_or_unanswered_is_not_risk(item9):
    assert score("PHQ-9", [3] * 8 + [item9]).risk is False


def test_other_items_never_raise_risk():
    assert score("PHQ-9", [3] * 8 + [0, 3]).risk is False
    assert score("GAD-7", [3] * 7).risk is False


def test_difficulty_item_is_ignored_by_total_and_completeness():
    base = [1] * 9
    assert score("PHQ-9", base).total == 9
    for tenth in (None, 0, 1, 2, 3):
        result = score("PHQ-9", [*base, tenth])
        assert (result.total, result.complete, result.severity) == (9, True, "mild")


# --- contract errors -------------------------------------------------------------------


@pytest.mark.parametrize("code", ["PHQ9", "BDI-II", "", "gad-7"])
def test_unknown_instrument(code):
    with pytest.raises(ValueError, match="unknown instrument"):
        score(code, [0] * 9)


@pytest.mark.parametrize(
    ("code", "n"),
    [
        ("PHQ-9", 0),
        ("PHQ-9", 8),
        ("PHQ-9", 11),
        ("GAD-7", 6),
        ("GAD-7", 8),
        ("PHQ-2", 1),
        ("PHQ-2", 3),
        ("GAD-2", 9),
    ],
)
def test_wrong_number_of_answers(code, n):
    with pytest.raises(ValueError, match=f"{code} takes .* answers, got {n}"):
        score(code, [0] * n)


@pytest.mark.parametrize("bad", [4, -1, 10, 99])
def test_answer_outside_range_names_item(bad):
    answers = [0] * 9
    answers[3] = bad
    with pytest.raises(ValueError, match=f"item 4: answer {bad} is outside 0-3"):
        score("PHQ-9", answers)


def test_difficulty_item_is_range_checked_too():
    with pytest.raises(ValueError, match="item 10"):
        score("PHQ-9", [0] * 9 + [4])


@pytest.mark.parametrize("bad", [True, False, 1.0, "1", b"1", [1]])
def test_answer_not_an_int(bad):
    with pytest.raises(ValueError, match="item 2: answer .* is not an int"):
        score("GAD-7", [0, bad, 0, 0, 0, 0, 0])


@pytest.mark.parametrize("bad", [None, "0000000", 7, {"a": 1}, {0, 1}])
def test_answers_must_be_a_list(bad):
    with pytest.raises(ValueError, match="answers must be a list"):
        score("GAD-7", bad)


def test_tuple_answers_are_accepted():
    assert score("GAD-2", (1, 2)).total == 3


# --- properties ------------------------------------------------------------------------

answer = st.one_of(st.none(), st.integers(min_value=0, max_value=3))
codes = st.sampled_from(sorted(INSTRUMENTS))


@st.composite
def full_answers(draw, code=None):
    code = code or draw(codes)
    return code, draw(
        st.lists(st.integers(0, 3), min_size=ITEM_COUNT[code], max_size=ITEM_COUNT[code])
    )


@given(full_answers())
def test_total_in_range_and_equals_sum(case):
    code, answers = case
    result = score(code, answers)
    assert result.complete is True
    assert 0 <= result.total <= MAX_TOTAL[code]
    assert result.total == sum(answers)


@given(codes, st.data())
def test_a_missing_item_always_gives_no_total(code, data):
    n = ITEM_COUNT[code]
    answers = data.draw(st.lists(answer, min_size=n, max_size=n))
    hole = data.draw(st.integers(0, n - 1))
    answers[hole] = None
    result = score(code, answers)
    assert result.total is None
    assert result.severity is None
    assert result.complete is False
    assert result.positive is None


@given(st.sampled_from(["PHQ-9", "GAD-7"]), st.data())
def test_severity_never_decreases_as_total_grows(code, data):
    n = ITEM_COUNT[code]
    answers = data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    bumpable = [i for i, a in enumerate(answers) if a < 3]
    if not bumpable:
        return
    i = data.draw(st.sampled_from(bumpable))
    higher = list(answers)
    higher[i] += 1
    low, high = score(code, answers), score(code, higher)
    assert high.total == low.total + 1
    assert SEVERITY_ORDER.index(high.severity) >= SEVERITY_ORDER.index(low.severity)


@given(st.lists(answer, min_size=9, max_size=9), st.one_of(st.none(), st.integers(0, 3)))
def test_extra_item_10_is_ignored(nine, tenth):
    short, long = score("PHQ-9", nine), score("PHQ-9", [*nine, tenth])
    assert (short.total, short.severity, short.risk, short.complete) == (
        long.total,
        long.severity,
        long.risk,
        long.complete,
    )
    assert long.answers == (*nine, tenth)


@given(st.lists(answer, min_size=9, max_size=9))
def test_risk_depends_only_on_item_9(nine):
    assert score("PHQ-9", nine).risk is (nine[8] in (1, 2, 3))
