"""Treatment outcome rules on plain values (DESIGN section 4).

A *point* is ``(when, total)`` for one assessment of one instrument in one episode: ``when``
is a ``date`` or a ``datetime`` (naive taken as UTC) and ``total`` an int, or None for a
partial assessment, which never counts. Points may come in any order.

The thresholds are the same for PHQ-9 and GAD-7: response is a drop of 50% or more from
baseline, remission is a total under 5, clinically significant improvement is a total under
10 or a response, and a patient 10 weeks or more past baseline without clinically
significant improvement is *not improving*.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

Point = tuple[date | datetime, int | None]

REMISSION_BELOW = 5
SIGNIFICANT_BELOW = 10
NOT_IMPROVING_AFTER = timedelta(weeks=10)


def _sort_key(when: date | datetime) -> datetime:
    # Dates and naive/aware datetimes cannot be compared directly; map all to aware UTC.
    if isinstance(when, datetime):
        return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return datetime.combine(when, time.min, tzinfo=UTC)


def _day(when: date | datetime) -> date:
    return _sort_key(when).date() if isinstance(when, datetime) else when


def complete_points(points: Iterable[Point]) -> list[Point]:
    """The points that have a total, oldest first."""
    return sorted((p for p in points if p[1] is not None), key=lambda p: _sort_key(p[0]))


def baseline(points: Iterable[Point]) -> Point | None:
    """The first complete point of the episode, or None if there is none."""
    done = complete_points(points)
    return done[0] if done else None


def last(points: Iterable[Point]) -> Point | None:
    """The latest complete point of the episode, or None if there is none."""
    done = complete_points(points)
    return done[-1] if done else None


def percent_change(baseline_total: int | None, last_total: int | None) -> float | None:
    """Change from baseline in percent; negative is improvement (15 -> 6 gives -60.0).

    None when either total is missing or the baseline is 0 (no change can be expressed).
    """
    if baseline_total is None or last_total is None or baseline_total == 0:
        return None
    return (last_total - baseline_total) * 100 / baseline_total


def is_response(baseline_total: int | None, last_total: int | None) -> bool:
    """True when the total fell by 50% or more from a baseline above 0."""
    if baseline_total is None or last_total is None or baseline_total <= 0:
        return False
    return 2 * last_total <= baseline_total


def is_remission(last_total: int | None) -> bool:
    """True when the latest total is under 5."""
    return last_total is not None and last_total < REMISSION_BELOW


def is_clinically_significant_improvement(
    baseline_total: int | None, last_total: int | None
) -> bool:
    """True when the latest total is under 10, or fell by 50% or more from baseline."""
    if last_total is None:
        return False
    return last_total < SIGNIFICANT_BELOW or is_response(baseline_total, last_total)


def is_not_improving(
    points: Iterable[Point],
    baseline_date: date | datetime | None,
    today: date | datetime,
) -> bool:
    """Treat to target: True when ``today`` is 10 weeks or more past the baseline date and
    the latest complete total shows no clinically significant improvement.

    The baseline total is the first complete point; ``baseline_date`` (the episode's
    baseline date) defaults, when None, to that point's date. An episode with no complete
    point is never flagged here (the measure-overdue flag covers it). Points dated after
    ``today`` are ignored.
    """
    if isinstance(today, datetime):
        end = _sort_key(today)
    else:
        end = datetime.combine(today, time.max, tzinfo=UTC)
    usable = [p for p in complete_points(points) if _sort_key(p[0]) <= end]
    if not usable:
        return False
    first, latest = usable[0], usable[-1]
    start = _day(baseline_date if baseline_date is not None else first[0])
    if _day(today) - start < NOT_IMPROVING_AFTER:
        return False
    return not is_clinically_significant_improvement(first[1], latest[1])


@dataclass(frozen=True)
class Outcome:
    """Baseline, last and the outcome flags of one instrument in one episode."""

    baseline: Point | None
    last: Point | None
    percent_change: float | None
    response: bool
    remission: bool
    significant_improvement: bool


def summarize(points: Iterable[Point]) -> Outcome:
    """All outcome values for an episode's points in one call (for registry rows)."""
    done = complete_points(points)
    first = done[0] if done else None
    latest = done[-1] if done else None
    b = first[1] if first else None
    v = latest[1] if latest else None
    return Outcome(
        baseline=first,
        last=latest,
        percent_change=percent_change(b, v),
        response=is_response(b, v),
        remission=is_remission(v),
        significant_improvement=is_clinically_significant_improvement(b, v),
    )
