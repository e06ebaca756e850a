"""The quality dashboard for clinic leads: the month per care manager, six months of trends as
server-drawn SVG, and every figure linked to the list of patients behind it.

Viewing a list of patients is audited with their ids; the dashboard itself shows only counts.
"""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import select

from cocm import db
from cocm.charts.bars import Band, Series, bar_chart, percent
from cocm.clock import utcnow
from cocm.models import Clinic
from cocm.quality.dashboard import CLINIC, MEASURE_KEYS, UNASSIGNED, measure_patients
from cocm.quality.dashboard import quality_dashboard as build_dashboard
from cocm.quality.measures import COMPLETENESS, GUIDANCE, MEASURES
from cocm.quality.months import label, last_month, local_today, parse_month, shift, title
from cocm.registry.display import Display
from staff_app.access import CLINICAL_ROLES, audit, clinic_ids, has_role, roles_required

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
LEAD = ("clinic_lead",)
MONTHS = 6
HEADLINE = ("engagement", "improvement", "response", "remission", "psych_review", "complete")
EXTRA_LABELS = {
    "caseload": "Caseload",
    "risk_ack": "Risk items: time to acknowledge",
    "risk_close": "Risk items: time to close",
}


def _clinics() -> list[Clinic]:
    return list(
        db.Session.scalars(
            select(Clinic).where(Clinic.id.in_(clinic_ids(*LEAD))).order_by(Clinic.name)
        )
    )


def _clinic(clinics: list[Clinic]) -> Clinic:
    wanted = request.args.get("clinic", "")
    chosen = (
        next((c for c in clinics if str(c.id) == wanted), None)
        if wanted
        else (clinics[0] if clinics else None)
    )
    if chosen is None:
        abort(404)
    return chosen


def _month(clinic: Clinic) -> tuple[int, int] | None:
    text = request.args.get("month")
    today = local_today(clinic.timezone, utcnow())
    if not text:
        return last_month(today)
    try:
        year, month = parse_month(text)
    except ValueError:
        return None
    # A month that has not begun has nothing to show yet.
    return (year, month) if (year, month) <= (today.year, today.month) else None


def _who(text: str | None) -> int | None:
    """The ``cm`` parameter: a staff id, "none" for patients without one, else everyone."""
    if text == "none":
        return UNASSIGNED
    return int(text) if text and text.isdigit() else None


def _who_param(who: int) -> str | None:
    if who == CLINIC:
        return None
    return "none" if who == UNASSIGNED else str(who)


def _bad_month(clinics, clinic):
    return render_template(
        "dashboard/bad_month.html", clinics=clinics, clinic=clinic, text=request.args.get("month")
    ), 400


def _charts(board, who: int) -> list[dict]:
    labels = [m.short for m in board.months]
    n = range(len(board.months))

    def share(measure: str) -> Series:
        return Series(MEASURES[measure].label, [board.figure(k, who, measure).percent for k in n])

    def span(attr: str, name: str, unit_seconds: int) -> Series:
        values = []
        for k in n:
            times = board.risk.get((k, who))
            value = getattr(times, attr) if times else None
            values.append(value.total_seconds() / unit_seconds if value is not None else None)
        return Series(name, values)

    def per_fte() -> Series:
        values = []
        for k in n:
            load = board.caseload.get((k, who))
            values.append(load.per_fte if load else None)
        return Series("Patients per full-time care manager", values)

    specs = [
        ("engagement", "Engagement", [share("engagement")], {"max_value": 100}),
        (
            "outcomes",
            "Outcomes (PHQ-9)",
            [share("improvement"), share("response"), share("remission")],
            {"max_value": 100},
        ),
        (
            "psych_review",
            "Not improving, reviewed in 60 days",
            [share("psych_review")],
            {"max_value": 100},
        ),
        ("complete", "Registry complete", [share("complete")], {"max_value": 100}),
        (
            "caseload",
            "Caseload per full-time care manager",
            [per_fte()],
            {
                "fmt": lambda v: f"{v:.0f}",
                "bands": [Band(low, high, f"{low}–{high} {kind}") for low, high, kind in GUIDANCE],
            },
        ),
        (
            "risk_ack",
            "Risk items: minutes to acknowledge",
            [span("ack_median", "Median", 60), span("ack_p90", "90th percentile", 60)],
            {"fmt": lambda v: f"{v:.0f}"},
        ),
        (
            "risk_close",
            "Risk items: hours to close",
            [span("close_median", "Median", 3600), span("close_p90", "90th percentile", 3600)],
            {"fmt": lambda v: f"{v:.1f}"},
        ),
    ]
    charts = []
    for key, heading, series, options in specs:
        fmt = options.get("fmt", percent)
        charts.append(
            {
                "key": key,
                "title": heading,
                "svg": Markup(
                    bar_chart(labels, series, title=heading, element_id=f"chart-{key}", **options)
                ),
                "labels": labels,
                "rows": [
                    (s.name, [fmt(v) if v is not None else "—" for v in s.values]) for s in series
                ],
            }
        )
    return charts


@bp.route("")
@roles_required(*LEAD)
def index():
    clinics = _clinics()
    clinic = _clinic(clinics)
    chosen = _month(clinic)
    if chosen is None:
        return _bad_month(clinics, clinic)
    year, month = chosen
    now = utcnow()
    board = build_dashboard(db.Session, clinic.id, year, month, now, months=MONTHS)
    who = _who(request.args.get("cm"))
    focus = who if who is not None and who in board.who() else CLINIC
    audit("dashboard_view", clinic_id=clinic.id, month=label(year, month), cm=_who_param(focus))

    def link(measure: str, person: int) -> str:
        return url_for(
            "dashboard.patients",
            measure=measure,
            month=label(year, month),
            clinic=clinic.id,
            cm=_who_param(person),
        )

    def month_url(y: int, m: int) -> str | None:
        today = local_today(clinic.timezone, now)
        if (y, m) > (today.year, today.month):
            return None
        return url_for("dashboard.index", month=label(y, m), clinic=clinic.id, cm=_who_param(focus))

    last = len(board.months) - 1
    return render_template(
        "dashboard/index.html",
        board=board,
        k=last,
        clinic=clinic,
        clinics=clinics,
        title=title(year, month),
        month_label=label(year, month),
        rows=[*board.who(), CLINIC],
        focus=focus,
        clinic_key=CLINIC,
        who_param=_who_param,
        headline=HEADLINE,
        completeness=COMPLETENESS,
        measures=MEASURES,
        charts=_charts(board, focus),
        link=link,
        previous_url=month_url(*shift(year, month, -1)),
        next_url=month_url(*shift(year, month, 1)),
        fmt=Display(clinic.timezone, now),
        guidance=GUIDANCE,
    )


@bp.route("/patients")
@roles_required(*LEAD)
def patients():
    clinics = _clinics()
    clinic = _clinic(clinics)
    measure = request.args.get("measure", "")
    if measure not in MEASURE_KEYS:
        abort(404)
    chosen = _month(clinic)
    if chosen is None:
        return _bad_month(clinics, clinic)
    year, month = chosen
    who = _who(request.args.get("cm"))
    now = utcnow()
    found = measure_patients(db.Session, clinic.id, year, month, measure, now, who)
    patient_ids = sorted(
        {ln.row.patient_id for ln in found.lines}
        | {i.patient_id for i in found.risk_items if i.patient_id is not None}
    )
    audit(
        "dashboard_patients_view",
        clinic_id=clinic.id,
        month=label(year, month),
        measure=measure,
        cm=_who_param(who) if who is not None else None,
        patient_ids=patient_ids,
    )
    heading = MEASURES[measure].label if measure in MEASURES else EXTRA_LABELS[measure]
    return render_template(
        "dashboard/patients.html",
        found=found,
        measure=measure,
        heading=heading,
        definition=MEASURES[measure].definition if measure in MEASURES else None,
        clinic=clinic,
        title=title(year, month),
        who_name=found.dashboard.name(who) if who is not None else "Whole clinic",
        back_url=url_for(
            "dashboard.index",
            month=label(year, month),
            clinic=clinic.id,
            cm=_who_param(who) if who is not None else None,
        ),
        fmt=Display(clinic.timezone, now),
        can_chart=has_role(*CLINICAL_ROLES),
    )
