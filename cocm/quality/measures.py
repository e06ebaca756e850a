"""The dashboard's measures, defined once, as pure functions of one episode in one month.

The statements (``cocm.quality.queries``) gather facts; this module decides, for an episode and
a month, which measures count it (the denominator) and whether it meets each (the numerator).
Scores and dates are judged as of the month's end (or now, for the running month), in the
clinic's local dates. PHQ-9 drives the outcome measures; not improving (for the psychiatric
review measure) is the registry's rule, on PHQ-9 or GAD-7.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from cocm.instruments import outcomes
from cocm.models.enums import OPEN_EPISODE_STATUSES
from cocm.quality.months import Month
from cocm.quality.queries import SCORED, EpisodeRow, ScoreBucket

OUTCOME_INSTRUMENT = "PHQ-9"
OUTCOME_BASELINE_MIN = 10  # outcomes are judged for patients who started at moderate or worse
IMPROVEMENT_AFTER = timedelta(weeks=10)
REVIEW_WITHIN_DAYS = 60
COMPLETENESS = ("baseline", "care_plan", "next_contact", "consent")


@dataclass(frozen=True)
class Measure:
    key: str
    label: str
    definition: str


MEASURES: dict[str, Measure] = {
    m.key: m
    for m in (
        Measure(
            "engagement",
            "Engaged",
            "Episodes active in the month with a contact that reached the patient and a "
            "completed PHQ-9 or GAD-7 in the month.",
        ),
        Measure(
            "improvement",
            "Improved at 10+ weeks",
            "Of patients whose PHQ-9 baseline (10 or more) is at least 10 weeks old: the latest "
            "PHQ-9 is under 10 or 50% below baseline.",
        ),
        Measure(
            "response",
            "Response",
            "Of patients with a PHQ-9 baseline of 10 or more and a later PHQ-9: the latest is "
            "50% or more below baseline.",
        ),
        Measure(
            "remission",
            "Remission",
            "Same patients as response: the latest PHQ-9 is under 5.",
        ),
        Measure(
            "psych_review",
            "Not improving, reviewed",
            "Of patients not improving (10+ weeks past a PHQ-9 or GAD-7 baseline without "
            "clinically significant improvement): discussed at a case review in the 60 days "
            "before the month's end.",
        ),
        Measure(
            "complete",
            "Registry complete",
            "Of the caseload at the month's end: baseline score, care plan, a next contact "
            "planned after the month's end, and consent, all on record.",
        ),
        Measure("baseline", "Baseline score", "A complete PHQ-9 or GAD-7 in the episode."),
        Measure("care_plan", "Care plan", "A care plan written by the month's end."),
        Measure(
            "next_contact",
            "Next contact",
            "A contact recorded by the month's end planned one after it.",
        ),
        Measure("consent", "Consent", "Consent documented by the month's end."),
    )
}
SHARE_MEASURES = tuple(MEASURES)
OTHER_MEASURES = ("caseload", "risk_ack", "risk_close")


@dataclass
class EpisodeFacts:
    """What the statements found about one episode over the whole window."""

    row: EpisodeRow
    reached: tuple[int, ...] = ()
    next_planned: tuple[datetime | None, ...] = ()
    reviews: tuple[datetime | None, ...] = ()
    scores: dict[str, dict[int, ScoreBucket]] = field(default_factory=dict)

    def baseline(self, code: str) -> ScoreBucket | None:
        found = self.scores.get(code)
        return found[min(found)] if found else None

    def latest(self, code: str, k: int) -> ScoreBucket | None:
        found = self.scores.get(code, {})
        keys = [b for b in found if b <= k]
        return found[max(keys)] if keys else None


def active_in(row: EpisodeRow, m: Month) -> bool:
    if row.started_on >= m.end:
        return False
    if row.ended_on is not None:
        return row.ended_on >= m.start
    return row.status in OPEN_EPISODE_STATUSES


def open_at(row: EpisodeRow, m: Month) -> bool:
    """In the caseload at the month's as-of day."""
    if row.started_on > m.as_of_day:
        return False
    if row.ended_on is not None:
        return row.ended_on >= m.as_of_day
    return row.status in OPEN_EPISODE_STATUSES


def _day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


@dataclass
class Line:
    """One episode in one month: ``results[measure]`` for every measure that counts it."""

    facts: EpisodeFacts
    k: int
    month: Month
    zone: ZoneInfo
    in_caseload: bool
    results: dict[str, bool] = field(default_factory=dict)

    @property
    def row(self) -> EpisodeRow:
        return self.facts.row

    def detail(self, measure: str) -> str:
        """Why the episode meets the measure or not, in a few words (drill-down lists)."""
        f, k, zone = self.facts, self.k, self.zone
        if measure == "engagement":
            measured = [c for c in SCORED if k in f.scores.get(c, {})]
            contacts = f.reached[k] if f.reached else 0
            return f"{contacts} contact{'s' if contacts != 1 else ''} reaching the patient; " + (
                f"{' and '.join(measured)} completed" if measured else "no completed measure"
            )
        if measure in ("improvement", "response", "remission"):
            first, last = f.baseline(OUTCOME_INSTRUMENT), f.latest(OUTCOME_INSTRUMENT, k)
            if first is None or last is None:
                return "no PHQ-9"
            change = outcomes.percent_change(first.first_total, last.last_total)
            return (
                f"PHQ-9 {first.first_total} ({_day(first.first_at, zone):%b} "
                f"{_day(first.first_at, zone).day}) → {last.last_total} "
                f"({_day(last.last_at, zone):%b} {_day(last.last_at, zone).day})"
                + (f", {round(change):+d}%" if change is not None else "")
            )
        if measure == "psych_review":
            last = f.reviews[k] if f.reviews else None
            if last is None:
                return "never discussed at a case review"
            day = _day(last, zone)
            return f"last case review {day:%b} {day.day}, {day.year}"
        if measure in COMPLETENESS or measure == "complete":
            missing = [MEASURES[c].label.lower() for c in COMPLETENESS if not self.results.get(c)]
            return "all on record" if not missing else "missing: " + ", ".join(missing)
        return ""


def evaluate(facts: EpisodeFacts, k: int, m: Month, zone: ZoneInfo) -> Line | None:
    """The episode's measures in month ``k`` (None when it was not active in the month)."""
    row = facts.row
    active = active_in(row, m)
    caseload = open_at(row, m)
    if not active and not caseload:
        return None
    line = Line(facts=facts, k=k, month=m, zone=zone, in_caseload=caseload)
    results = line.results
    if active:
        measured = any(k in facts.scores.get(code, {}) for code in SCORED)
        results["engagement"] = bool(facts.reached and facts.reached[k]) and measured

        first, last = facts.baseline(OUTCOME_INSTRUMENT), facts.latest(OUTCOME_INSTRUMENT, k)
        if first is not None and last is not None and first.first_total >= OUTCOME_BASELINE_MIN:
            baseline_day = _day(first.first_at, zone)
            if m.as_of_day - baseline_day >= IMPROVEMENT_AFTER:
                results["improvement"] = outcomes.is_clinically_significant_improvement(
                    first.first_total, last.last_total
                )
            if last.last_at > first.first_at:
                results["response"] = outcomes.is_response(first.first_total, last.last_total)
                results["remission"] = outcomes.is_remission(last.last_total)

        if _not_improving(facts, k, m, zone):
            review = facts.reviews[k] if facts.reviews else None
            results["psych_review"] = (
                review is not None and (m.as_of_day - _day(review, zone)).days <= REVIEW_WITHIN_DAYS
            )
    if caseload:
        results["baseline"] = any(facts.baseline(code) is not None for code in SCORED)
        results["care_plan"] = row.first_plan_at is not None and row.first_plan_at < m.as_of
        planned = facts.next_planned[k] if facts.next_planned else None
        results["next_contact"] = planned is not None and planned >= m.as_of
        results["consent"] = row.consent_on is not None and row.consent_on <= m.as_of_day
        results["complete"] = all(results[c] for c in COMPLETENESS)
    return line


def _not_improving(facts: EpisodeFacts, k: int, m: Month, zone: ZoneInfo) -> bool:
    for code in SCORED:
        first, last = facts.baseline(code), facts.latest(code, k)
        if first is None or last is None:
            continue
        points = [
            (_day(first.first_at, zone), first.first_total),
            (_day(last.last_at, zone), last.last_total),
        ]
        if outcomes.is_not_improving(points, None, m.as_of_day):
            return True
    return False


def percentile(values: list[float], share: float) -> float | None:
    """Nearest-rank percentile: the smallest value with at least ``share`` of values at or
    below it (the 90th of ten values is the ninth smallest). None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def middle(values: list[float]) -> float | None:
    return median(values) if values else None


# Published caseload guidance per full-time care manager (AIMS Center): about 50-80 patients
# for Medicaid and uninsured panels, 80-120 for commercially insured ones.
GUIDANCE = ((50, 80, "Medicaid and uninsured"), (80, 120, "commercial"))


def guidance_band(per_fte: float | None) -> str | None:
    """Where a caseload per full-time care manager falls against the guidance."""
    if per_fte is None:
        return None
    if per_fte < GUIDANCE[0][0]:
        return "below the 50–80 guidance"
    if per_fte <= GUIDANCE[0][1]:
        return "within 50–80 (Medicaid and uninsured panels)"
    if per_fte <= GUIDANCE[1][1]:
        return "within 80–120 (commercial panels)"
    return "above the 120 guidance"
