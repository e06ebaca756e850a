"""The registry's flags (DESIGN 4), defined once, as pure functions of per-episode facts.

The service gathers the facts with set-based statements; this module decides. Each flag comes
with a short reason so a row explains itself ("Planned for Mar 2", "PHQ-9 16 -> 15 at week 11").

Definitions (dates are the patient's local dates; ``today`` is the viewer's local date):

- ``risk``: an open (not closed) urgent queue item that is not a drill, or a risk signal in the
  last 14 days: an assessment with PHQ-9 item 9 above 0 (complete or partial), or a risk-words /
  risk-answer queue item opened in that time, whatever its state.
- ``not_improving``: ``cocm.instruments.outcomes.is_not_improving`` on PHQ-9 or on GAD-7: 10+
  weeks past that instrument's baseline without clinically significant improvement.
- ``new``: enrolled less than 28 days ago and no case-review item of this episode reviewed yet.
- ``no_follow_up``: 28 days have passed since the initial assessment (the first contact with the
  initial-assessment template, else the enrollment date) and no follow-up contact (outcome
  reached, any other template) happened within those 28 days. It stays on for the episode: it is
  a fact about the start of care that the case review and the quality report ask about.
- ``contact_overdue``: the next contact planned on the latest contact that planned one falls
  before today, and no contact (attempts included) was recorded at or after it.
- ``measure_overdue``: an active measurement schedule's due date passed more than 3 days ago.
- ``no_psych_review``: past the "new" window (enrolled 28+ days ago) and no case-review item of
  this episode reviewed in the last 60 days (never reviewed included).
- ``opted_out``: the patient texted STOP (or the carrier opted them out).
- ``unreachable``: the carrier flagged the phone number, or the last three contacts were all
  unanswered (no answer, left a message or wrong number).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from cocm.instruments import outcomes

# Display order, which is also the order of the filter chips.
FLAGS: dict[str, str] = {
    "risk": "Risk",
    "not_improving": "Not improving",
    "new": "New",
    "no_follow_up": "No follow-up in 4 weeks",
    "contact_overdue": "Contact overdue",
    "measure_overdue": "Measure overdue",
    "no_psych_review": "No psychiatric review in 60 days",
    "opted_out": "Opted out of texts",
    "unreachable": "Unreachable",
    "recommendation_overdue": "Recommendation overdue",  # set by cocm.review.overdue
}
# Short forms for badges in dense tables (the full label stays in chips, titles and exports).
SHORT_LABELS: dict[str, str] = {
    "risk": "Risk",
    "not_improving": "Not improving",
    "new": "New",
    "no_follow_up": "No 4-wk follow-up",
    "contact_overdue": "Contact overdue",
    "measure_overdue": "Measure overdue",
    "no_psych_review": "No psych review 60 d",
    "opted_out": "Opted out",
    "unreachable": "Unreachable",
    "recommendation_overdue": "Rec. overdue",
}
# Flags that make a row's "who needs attention" sort and the case-review chip.
OVERDUE_FLAGS = ("contact_overdue", "measure_overdue")
CASE_REVIEW_FLAGS = ("new", "not_improving", "no_psych_review")

RISK_WINDOW_DAYS = 14
NEW_WINDOW_DAYS = 28
FOLLOW_UP_DAYS = 28
MEASURE_GRACE_DAYS = 3
PSYCH_REVIEW_DAYS = 60
UNREACHABLE_ATTEMPTS = 3
UNANSWERED_OUTCOMES = ("no_answer", "left_message", "wrong_number")


@dataclass(frozen=True)
class ScorePoint:
    total: int
    on: date


@dataclass
class Facts:
    """What the statements found about one episode, already in the patient's local dates."""

    enrolled_on: date
    phq9: tuple[ScorePoint | None, ScorePoint | None] = (None, None)  # baseline, last
    gad7: tuple[ScorePoint | None, ScorePoint | None] = (None, None)
    open_urgent: int = 0
    last_risk_on: date | None = None
    initial_assessment_on: date | None = None
    first_follow_up_on: date | None = None
    last_contact_on: date | None = None
    next_contact_on: date | None = None
    measure_due_on: date | None = None
    last_review_on: date | None = None
    opted_out: bool = False
    phone_problem: str | None = None
    unanswered_streak: int = 0  # the latest contacts that did not reach the patient


def _day(day: date) -> str:
    return f"{day:%b} {day.day}"


def _not_improving(code: str, pair, today: date) -> str | None:
    first, latest = pair
    if first is None or latest is None:
        return None
    # Cheap answers first (the registry asks this for every episode of a clinic): too early,
    # or already improved. Both are what ``is_not_improving`` itself would decide.
    if today - first.on < outcomes.NOT_IMPROVING_AFTER or (
        latest.on <= today
        and outcomes.is_clinically_significant_improvement(first.total, latest.total)
    ):
        return None
    points = [(first.on, first.total), (latest.on, latest.total)]
    if not outcomes.is_not_improving(points, None, today):
        return None
    weeks = (today - first.on).days // 7
    return f"{code} {first.total} → {latest.total}, week {weeks}"


def compute_flags(facts: Facts, today: date) -> dict[str, str]:
    """The flags that apply, each with its reason, in display order."""
    found: dict[str, str] = {}
    if facts.open_urgent:
        found["risk"] = "Open urgent queue item"
    elif facts.last_risk_on and (today - facts.last_risk_on).days <= RISK_WINDOW_DAYS:
        found["risk"] = f"Risk signal on {_day(facts.last_risk_on)}"

    reasons = [
        r
        for r in (
            _not_improving("PHQ-9", facts.phq9, today),
            _not_improving("GAD-7", facts.gad7, today),
        )
        if r
    ]
    if reasons:
        found["not_improving"] = "; ".join(reasons)

    days_enrolled = (today - facts.enrolled_on).days
    reviewed = facts.last_review_on is not None
    if days_enrolled < NEW_WINDOW_DAYS and not reviewed:
        found["new"] = f"Enrolled {days_enrolled} days ago, not yet reviewed"

    initial = facts.initial_assessment_on or facts.enrolled_on
    deadline = initial + timedelta(days=FOLLOW_UP_DAYS)
    if today > deadline and (
        facts.first_follow_up_on is None or facts.first_follow_up_on > deadline
    ):
        found["no_follow_up"] = (
            "No follow-up contact yet"
            if facts.first_follow_up_on is None
            else f"First follow-up {(facts.first_follow_up_on - initial).days} days after "
            "the initial assessment"
        )

    if (
        facts.next_contact_on is not None
        and facts.next_contact_on < today
        and (facts.last_contact_on is None or facts.last_contact_on < facts.next_contact_on)
    ):
        found["contact_overdue"] = f"Planned for {_day(facts.next_contact_on)}"

    if facts.measure_due_on is not None and (today - facts.measure_due_on).days > (
        MEASURE_GRACE_DAYS
    ):
        found["measure_overdue"] = f"Due {_day(facts.measure_due_on)}"

    if days_enrolled >= NEW_WINDOW_DAYS and (
        not reviewed or (today - facts.last_review_on).days > PSYCH_REVIEW_DAYS
    ):
        found["no_psych_review"] = (
            f"Last reviewed {_day(facts.last_review_on)}" if reviewed else "Never reviewed"
        )

    if facts.opted_out:
        found["opted_out"] = "Texted STOP"

    if facts.phone_problem:
        found["unreachable"] = f"Phone problem: {facts.phone_problem}"
    elif facts.unanswered_streak >= UNREACHABLE_ATTEMPTS:
        found["unreachable"] = f"Last {facts.unanswered_streak} contacts unanswered"
    return {name: found[name] for name in FLAGS if name in found}


def suggested_action(flags: dict[str, str]) -> str | None:
    """A next step when the care manager has not written one: the most pressing flag decides."""
    for name, action in (
        ("risk", "Follow up on the risk signal today"),
        ("unreachable", "Try another way to reach the patient"),
        ("contact_overdue", "Call: the planned contact is overdue"),
        ("no_follow_up", "Call for a follow-up contact"),
        ("measure_overdue", "Ask for a PHQ-9/GAD-7 check-in"),
        ("not_improving", "Bring to case review: not improving"),
        ("new", "Bring to case review: new patient"),
        ("no_psych_review", "Bring to case review: no review in 60 days"),
    ):
        if name in flags:
            return action
    return None
