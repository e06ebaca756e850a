"""The quality dashboard for clinic leads: per month and per care manager, every figure with
the patients behind it.

``quality_dashboard`` runs the six statements of ``cocm.quality.queries`` over a window of
months (six by default) and folds the per-episode results of ``cocm.quality.measures`` into
figures; ``measure_patients`` runs the same code for one month and returns the episodes (or risk
items) behind one figure, so a list always adds up to the figure that linked to it.

Care managers are the patients' current care managers (assignment history is not kept).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from cocm.models import Clinic
from cocm.quality import queries
from cocm.quality.measures import (
    SHARE_MEASURES,
    EpisodeFacts,
    Line,
    evaluate,
    guidance_band,
    middle,
    percentile,
)
from cocm.quality.months import Month, months_ending

UNASSIGNED = 0  # the key of patients without a care manager
CLINIC = -1  # the key of the whole clinic
MEASURE_KEYS = (*SHARE_MEASURES, "caseload", "risk_ack", "risk_close")


@dataclass
class Figure:
    met: int = 0
    total: int = 0

    @property
    def percent(self) -> float | None:
        return 100 * self.met / self.total if self.total else None


@dataclass
class Caseload:
    patients: int = 0
    fte: float | None = None

    @property
    def per_fte(self) -> float | None:
        return self.patients / self.fte if self.fte else None

    @property
    def band(self) -> str | None:
        return guidance_band(self.per_fte)


@dataclass
class RiskTimes:
    """Urgent (risk) items opened in the month: time to acknowledge and to close."""

    opened: int = 0
    to_ack: list[timedelta] = field(default_factory=list)
    to_close: list[timedelta] = field(default_factory=list)

    def _stat(self, spans: list[timedelta], share: float | None) -> timedelta | None:
        minutes = [s.total_seconds() / 60 for s in spans]
        value = middle(minutes) if share is None else percentile(minutes, share)
        return timedelta(minutes=value) if value is not None else None

    @property
    def ack_median(self) -> timedelta | None:
        return self._stat(self.to_ack, None)

    @property
    def ack_p90(self) -> timedelta | None:
        return self._stat(self.to_ack, 0.9)

    @property
    def close_median(self) -> timedelta | None:
        return self._stat(self.to_close, None)

    @property
    def close_p90(self) -> timedelta | None:
        return self._stat(self.to_close, 0.9)

    @property
    def not_acknowledged(self) -> int:
        return self.opened - len(self.to_ack)

    @property
    def not_closed(self) -> int:
        return self.opened - len(self.to_close)


@dataclass
class Dashboard:
    clinic_id: int
    months: list[Month]
    managers: dict[int, str]
    fte: dict[int, float]
    figures: dict[tuple[int, int], dict[str, Figure]]
    caseload: dict[tuple[int, int], Caseload]
    risk: dict[tuple[int, int], RiskTimes]
    lines: list[Line] = field(default_factory=list)
    risk_items: list[queries.RiskItem] = field(default_factory=list)

    @property
    def month(self) -> Month:
        return self.months[-1]

    def figure(self, k: int, who: int, measure: str) -> Figure:
        return self.figures.get((k, who), {}).get(measure, Figure())

    def who(self) -> list[int]:
        """Care managers with patients or a care-manager FTE, by name; unassigned last."""
        seen = {w for (_, w) in self.caseload} | {w for (_, w) in self.figures}
        named = sorted(
            (w for w in seen | set(self.fte) if w not in (CLINIC, UNASSIGNED)),
            key=lambda w: (self.managers.get(w, "").lower(), w),
        )
        return named + ([UNASSIGNED] if UNASSIGNED in seen else [])

    def manager_name(self, care_manager_id: int | None) -> str:
        return self.name(care_manager_id or UNASSIGNED)

    def name(self, who: int) -> str:
        if who == CLINIC:
            return "Whole clinic"
        if who == UNASSIGNED:
            return "No care manager"
        return self.managers.get(who, f"Staff {who}")


def _facts(session: Session, clinic_id: int, months: list[Month], care_manager_id):
    s = queries.scope(clinic_id, months, care_manager_id)
    rows = queries.episodes(session, s)
    contacts = queries.contacts(session, s, months)
    scores = queries.scores(session, s, months)
    reviews = queries.reviews(session, s, months)
    facts = {row.id: EpisodeFacts(row=row) for row in rows}
    for episode_id, (reached, planned) in contacts.items():
        if episode_id in facts:
            facts[episode_id].reached, facts[episode_id].next_planned = reached, planned
    for bucket in scores:
        if bucket.episode_id in facts:
            facts[bucket.episode_id].scores.setdefault(bucket.instrument, {})[bucket.bucket] = (
                bucket
            )
    for episode_id, last in reviews.items():
        if episode_id in facts:
            facts[episode_id].reviews = last
    return list(facts.values())


def quality_dashboard(
    session: Session,
    clinic_id: int,
    year: int,
    month: int,
    now: datetime,
    *,
    months: int = 6,
    care_manager_id: int | None = None,
    keep_lines: bool = False,
) -> Dashboard:
    """Every figure for the ``months`` months ending with (year, month), per care manager and
    for the whole clinic. Seven statements whatever the clinic's size. Reads only; the caller
    audits. Raises ValueError for an unknown clinic."""
    tz_name = session.scalar(select(Clinic.timezone).where(Clinic.id == clinic_id))
    if tz_name is None:
        raise ValueError(f"unknown clinic id {clinic_id}")
    zone = ZoneInfo(tz_name)
    window = months_ending(year, month, months, tz_name, now)
    managers = queries.managers(session, clinic_id)
    facts = _facts(session, clinic_id, window, care_manager_id)
    items = queries.risk_items(session, clinic_id, window, care_manager_id)

    fte = {m.id: m.fte for m in managers if m.fte is not None}
    figures: dict[tuple[int, int], dict[str, Figure]] = defaultdict(
        lambda: {key: Figure() for key in SHARE_MEASURES}
    )
    caseload: dict[tuple[int, int], Caseload] = {}
    lines: list[Line] = []
    for k, m in enumerate(window):
        for w in fte if care_manager_id is None else [care_manager_id]:
            caseload[(k, w)] = Caseload(0, fte.get(w))
        caseload[(k, CLINIC)] = Caseload(
            0, sum(fte.values()) if care_manager_id is None else fte.get(care_manager_id)
        )
        for f in facts:
            line = evaluate(f, k, m, zone)
            if line is None:
                continue
            who = f.row.care_manager_id or UNASSIGNED
            for key in (k, who), (k, CLINIC):
                bucket = figures[key]
                for measure, met in line.results.items():
                    bucket[measure].total += 1
                    bucket[measure].met += met
            if line.in_caseload:
                caseload.setdefault((k, who), Caseload(0, fte.get(who))).patients += 1
                caseload[(k, CLINIC)].patients += 1
            if keep_lines:
                lines.append(line)

    risk: dict[tuple[int, int], RiskTimes] = defaultdict(RiskTimes)
    for item in items:
        k = next((n for n, m in enumerate(window) if item.opened_at < m.end_utc), None)
        if k is None:
            continue
        who = item.care_manager_id or UNASSIGNED
        for key in (k, who), (k, CLINIC):
            times = risk[key]
            times.opened += 1
            if item.acknowledged_at is not None:
                times.to_ack.append(item.acknowledged_at - item.opened_at)
            if item.closed_at is not None:
                times.to_close.append(item.closed_at - item.opened_at)
    return Dashboard(
        clinic_id=clinic_id,
        months=window,
        managers={m.id: m.name for m in managers},
        fte=fte,
        figures=dict(figures),
        caseload=caseload,
        risk=dict(risk),
        lines=lines,
        risk_items=items if keep_lines else [],
    )


@dataclass
class PatientList:
    """The episodes (or risk items) behind one figure of one month."""

    measure: str
    month: Month
    who: int | None
    figure: Figure | None
    lines: list[Line]
    risk_items: list[queries.RiskItem]
    dashboard: Dashboard


def measure_patients(
    session: Session,
    clinic_id: int,
    year: int,
    month: int,
    measure: str,
    now: datetime,
    who: int | None = None,
) -> PatientList:
    """The patients behind ``measure`` in one month, for one care manager (``who``: a staff id,
    ``UNASSIGNED``) or the whole clinic (None): those not meeting it first.

    ``caseload`` lists the caseload; ``risk_ack``/``risk_close`` list the risk items.
    Raises ValueError for an unknown measure or clinic.
    """
    if measure not in MEASURE_KEYS:
        raise ValueError(f"unknown measure {measure!r}")
    narrowed = who if who not in (None, UNASSIGNED) else None
    board = quality_dashboard(
        session, clinic_id, year, month, now, months=1, care_manager_id=narrowed, keep_lines=True
    )

    def mine(care_manager_id: int | None) -> bool:
        return who is None or (care_manager_id or UNASSIGNED) == who

    if measure in ("risk_ack", "risk_close"):
        items = [i for i in board.risk_items if mine(i.care_manager_id)]
        return PatientList(measure, board.month, who, None, [], items, board)
    if measure == "caseload":
        lines = [ln for ln in board.lines if ln.in_caseload and mine(ln.row.care_manager_id)]
        return PatientList(measure, board.month, who, None, lines, [], board)
    lines = [ln for ln in board.lines if measure in ln.results and mine(ln.row.care_manager_id)]
    lines.sort(key=lambda ln: ln.results[measure])  # stable: not meeting it first, then by name
    figure = Figure(sum(ln.results[measure] for ln in lines), len(lines))
    return PatientList(measure, board.month, who, figure, lines, [], board)
