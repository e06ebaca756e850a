"""Calendar months in the clinic's zone, and the small helpers of the measures."""

from datetime import UTC, date, datetime

import pytest

from cocm.quality.measures import guidance_band, percentile
from cocm.quality.months import last_month, month_of, months_ending, parse_month


@pytest.mark.parametrize("text", ["2026-13", "26-03", "2026/03", "", None, "March", "1999-01"])
def test_parse_month_refuses_what_is_not_a_month(text):
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month(text)


def test_parse_and_last_month():
    assert parse_month(" 2026-03 ") == (2026, 3)
    assert last_month(date(2026, 1, 15)) == (2025, 12)


def test_a_month_in_chicago_and_as_of_now():
    now = datetime(2026, 3, 12, 3, 30, tzinfo=UTC)  # still Mar 11 in Chicago
    m = month_of(2026, 3, "America/Chicago", now)
    assert m.start_utc == datetime(2026, 3, 1, 6, tzinfo=UTC)  # CST
    assert m.end_utc == datetime(2026, 4, 1, 5, tzinfo=UTC)  # CDT
    assert m.running and m.as_of == now and m.as_of_day == date(2026, 3, 11)
    past = month_of(2026, 2, "America/Chicago", now)
    assert not past.running and past.as_of_day == date(2026, 2, 28)
    assert [x.label for x in months_ending(2026, 2, 3, "UTC", now)] == [
        "2025-12",
        "2026-01",
        "2026-02",
    ]


def test_nearest_rank_percentile():
    assert percentile([], 0.9) is None
    assert percentile([5], 0.9) == 5
    assert percentile(list(range(1, 11)), 0.9) == 9
    assert percentile(list(range(1, 12)), 0.9) == 10  # rank ceil(9.9) = 10
    assert percentile([30, 4, 10], 0.5) == 10


@pytest.mark.parametrize(
    ("per_fte", "band"),
    [
        (None, None),
        (49.9, "below the 50–80 guidance"),
        (50, "within 50–80 (Medicaid and uninsured panels)"),
        (80, "within 50–80 (Medicaid and uninsured panels)"),
        (81, "within 80–120 (commercial panels)"),
        (120, "within 80–120 (commercial panels)"),
        (121, "above the 120 guidance"),
    ],
)
def test_caseload_guidance(per_fte, band):
    assert guidance_band(per_fte) == band
