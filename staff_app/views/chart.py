"""The patient chart: who the patient is, how they are doing, and what happens next.

Every view is audited (a chart_view event, written once the chart is loaded); a patient of
another clinic is a 404 and is not audited.
"""

from __future__ import annotations

import phonenumbers
from flask import Blueprint, abort, current_app, render_template, url_for
from markupsafe import Markup

from cocm import db
from cocm.charts import bands_for, instrument_trend, severity_of
from cocm.clock import utcnow
from cocm.registry import FLAGS
from cocm.registry.chart import TRENDED, load_chart
from cocm.registry.display import Display
from cocm.registry.queue import KIND_LABELS
from staff_app.access import CLINICAL_ROLES, audit, clinic_ids, roles_required

bp = Blueprint("chart", __name__)


def _phone(e164: str | None) -> str:
    if not e164:
        return "—"
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)


def _links(patient_id: int, chart) -> list[tuple[str, str]]:
    """Actions offered from the chart, only for areas that exist in this app."""
    wanted = [
        ("contacts.new", "Record a contact", {}),
        ("contacts.log_time", "Log time", {}),
        ("referrals.new", "Add a referral", {}),
        ("referrals.index", "Referrals", {}),
    ]
    if chart.open_episode:
        wanted.append(("episodes.close", "Close or step down the episode", {}))
    else:
        wanted.append(("enroll.new_episode", "Start a new episode", {}))
    wanted.append(("simulator.thread", "SMS simulator", {}))
    views = current_app.view_functions
    return [
        (label, url_for(endpoint, patient_id=patient_id, **extra))
        for endpoint, label, extra in wanted
        if endpoint in views
    ]


@bp.context_processor
def _endpoints() -> dict:
    return {"endpoints": current_app.view_functions}


@bp.route("/patients/<int:patient_id>")
@roles_required(*CLINICAL_ROLES)
def show(patient_id: int):
    now = utcnow()
    # load_chart checks the clinic as patient_or_404 would: one statement fewer per view.
    chart = load_chart(db.Session, patient_id, clinic_ids(*CLINICAL_ROLES), now=now)
    if chart is None:
        abort(404)
    audit("chart_view", patient=chart.patient)
    fmt = Display(chart.patient.zone, now)
    trends = [
        {
            "code": code,
            "svg": Markup(instrument_trend(code, chart.trends[code], f"trend-{code.lower()}")),
            "points": [
                (day, total, severity_of(total, bands_for(code)))
                for day, total in chart.trends[code]
            ],
        }
        for code in TRENDED
    ]
    return render_template(
        "chart/show.html",
        chart=chart,
        patient=chart.patient,
        row=chart.row,
        trends=trends,
        fmt=fmt,
        phone=_phone(chart.patient.phone_e164),
        links=_links(patient_id, chart),
        flag_labels=FLAGS,
        kind_labels=KIND_LABELS,
    )
