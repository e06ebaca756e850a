"""Outcome helpers: baseline, change, response, remission, treat to target."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from cocm.instruments import outcomes
from cocm.instruments.outcomes import (
    baseline,
    is_clinically_significant_improvement,
    is_not_improving,
    is_remission,
    is_response,
    last,
    percent_change,
    summarize,
)

D0 = date(2025, 1, 6)


def on(weeks: int, days: int = 0) -> date:
    return D0 + timedelta(weeks=weeks, days=days)


def test_baseline_and_last_sort_and_skip_partials():
    points = [(on(4), 12), (on(0), None), (on(2), 15), (on(1), 18), (on(6), None)]
    assert baseline(points) == (on(1), 18)
    assert last(points) == (on(4), 12)
    assert baseline([]) is None
    assert last([(on(0), None)]) is None


def test_dates_and_naive_and_aware_datetimes_mix():
    east = timezone(timedelta(hours=5))
    points = [
        (datetime(2025, 1, 10, 1, 0, tzinfo=east), 9),  # 2025-01-09 20:00 UTC
        (datetime(2025, 1, 9, 21, 0), 11),  # naive, read as UTC
        (date(2025, 1, 9), 14),
    ]
    assert baseline(points) == (date(2025, 1, 9), 14)
    assert last(points)[1] == 11


@pytest.mark.parametrize(
    ("b", "v", "expected"),
    [(20, 10, -50.0), (15, 6, -60.0), (10, 15, 50.0), (8, 8, 0.0), (0, 5, None), (None, 5, None)],
)
def test_percent_change(b, v, expected):
    assert percent_change(b, v) == expected
    assert percent_change(10, None) is None


@pytest.mark.parametrize(
    ("b", "v", "expected"),
    [(20, 10, True), (20, 11, False), (21, 10, True), (21, 11, False), (3, 1, True), (0, 0, False)],
)
def test_response_is_a_50_percent_drop(b, v, expected):
    assert is_response(b, v) is expected


def test_response_missing_values():
    assert is_response(None, 3) is False
    assert is_response(12, None) is False


@pytest.mark.parametrize(("v", "expected"), [(0, True), (4, True), (5, False), (None, False)])
def test_remission_is_under_5(v, expected):
    assert is_remission(v) is expected


@pytest.mark.parametrize(
    ("b", "v", "expected"),
    [
        (22, 9, True),  # under 10
        (25, 13, False),  # neither under 10 nor a 50% drop
        (22, 11, True),  # exactly 50% drop
        (22, 12, False),
        (12, 10, False),
        (8, 9, True),  # under 10 counts even without a drop
        (None, 9, True),
        (15, None, False),
    ],
)
def test_clinically_significant_improvement(b, v, expected):
    assert is_clinically_significant_improvement(b, v) is expected


def test_not_improving_needs_ten_weeks():
    points = [(on(0), 18), (on(6), 16)]
    assert is_not_improving(points, on(0), on(9, 6)) is False
    assert is_not_improving(points, on(0), on(10)) is True
    assert is_not_improving(points, on(0), on(14)) is True


def test_not_improving_clears_on_significant_improvement():
    assert is_not_improving([(on(0), 18), (on(8), 9)], on(0), on(12)) is False
    assert is_not_improving([(on(0), 18), (on(8), 10)], on(0), on(12)) is True
    assert is_not_improving([(on(0), 24), (on(8), 12)], on(0), on(12)) is False
    assert is_not_improving([(on(0), 24), (on(8), 13)], on(0), on(12)) is True


def test_not_improving_only_baseline_measured():
    assert is_not_improving([(on(0), 15)], on(0), on(10)) is True
    assert is_not_improving([(on(0), 8)], on(0), on(10)) is False


def test_not_improving_defaults_baseline_date_and_ignores_future_points():
    points = [(on(1), 20), (on(3), None), (on(12), 4)]
    assert is_not_improving(points, None, on(10, 6)) is False  # 9w6d past first point
    assert is_not_improving(points, None, on(11)) is True  # the week-12 point is future
    assert is_not_improving(points, None, on(12)) is False


def test_not_improving_with_datetimes_and_no_data():
    start = datetime(2025, 1, 6, 15, 0, tzinfo=UTC)
    points = [(start, 16), (start + timedelta(weeks=5), 14)]
    assert is_not_improving(points, start, start + timedelta(weeks=10)) is True
    assert is_not_improving(points, start, date(2025, 3, 17)) is True  # day 70
    assert is_not_improving(points, start, date(2025, 3, 16)) is False
    assert is_not_improving([], D0, on(20)) is False
    assert is_not_improving([(on(0), None)], D0, on(20)) is False


def test_summarize():
    result = summarize([(on(8), 7), (on(0), 16), (on(4), None)])
    assert result == outcomes.Outcome(
        baseline=(on(0), 16),
        last=(on(8), 7),
        percent_change=-56.25,
        response=True,
        remission=False,
        significant_improvement=True,
    )
    empty = summarize([])
    assert (empty.baseline, empty.percent_change, empty.response) == (None, None, False)
