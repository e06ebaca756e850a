"""Billing for clinic leads and admins: the month, its CSV, the month-end worklist, the packet.

Every page that names patients is audited (the export and the packet too); a clinic or patient
outside the person's billing clinics is a 404, any other role a 403.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request, url_for
from sqlalchemy import select

from cocm import db
from cocm.billing import billing_csv, month_end_worklist
from cocm.billing.export import format_codes
from cocm.billing.worklist import DEFAULT_MAX_GAP
from cocm.clock import utcnow
from cocm.models import Clinic, Patient
from cocm.quality.billing_report import CHECKS, PER_PAGE, SHOW, month_report
from cocm.quality.months import label, last_month, local_today, parse_month, shift, title
from cocm.quality.packet import audit_packet
from cocm.registry.display import Display
from staff_app.access import CLINICAL_ROLES, audit, clinic_ids, has_role, roles_required

bp = Blueprint("billing", __name__, url_prefix="/billing")
BILLING_ROLES = ("clinic_lead", "admin")
SHOW_LABELS = (
    ("all", "All rows"),
    ("billable", "Billable"),
    ("missing", "Missing evidence"),
    ("under", "No code yet"),
)


def _clinics() -> list[Clinic]:
    allowed = clinic_ids(*BILLING_ROLES)
    return list(
        db.Session.scalars(select(Clinic).where(Clinic.id.in_(allowed)).order_by(Clinic.name))
    )


def _clinic(clinics: list[Clinic]) -> Clinic:
    """The clinic asked for (404 when it is not one of the person's), else the first."""
    wanted = request.args.get("clinic", "")
    if not wanted:
        if not clinics:
            abort(404)
        return clinics[0]
    chosen = next((c for c in clinics if str(c.id) == wanted), None)
    if chosen is None:
        abort(404)
    return chosen


def _month(clinic: Clinic, text: str | None) -> tuple[int, int] | None:
    """The month asked for; last month when none is given; None when it is malformed."""
    if not text:
        return last_month(local_today(clinic.timezone, utcnow()))
    try:
        return parse_month(text)
    except ValueError:
        return None


def _bad_month(clinics, clinic, text):
    return render_template("billing/bad_month.html", clinics=clinics, clinic=clinic, text=text), 400


@bp.route("")
@roles_required(*BILLING_ROLES)
def month():
    clinics = _clinics()
    clinic = _clinic(clinics)
    chosen = _month(clinic, request.args.get("month"))
    if chosen is None:
        return _bad_month(clinics, clinic, request.args.get("month"))
    year, month_number = chosen
    show = request.args.get("show", "all")
    show = show if show in SHOW else "all"
    now = utcnow()
    report = month_report(
        db.Session,
        clinic.id,
        year,
        month_number,
        local_today(clinic.timezone, now),
        show=show,
        page=request.args.get("page", 1, type=int) or 1,
        per_page=PER_PAGE,
    )
    # The patients named on this page are the ones seen; the CSV export audits the month.
    audit(
        "billing_month_view",
        clinic_id=clinic.id,
        month=report.label,
        rows=report.shown,
        page=report.page,
        patient_ids=report.patient_ids,
    )

    def month_url(y: int, m: int) -> str:
        return url_for("billing.month", month=label(y, m), clinic=clinic.id)

    def page_url(page: int = 1, show: str = show) -> str:
        return url_for("billing.month", month=report.label, clinic=clinic.id, show=show, page=page)

    return render_template(
        "billing/month.html",
        report=report,
        title=title(year, month_number),
        format_codes=format_codes,
        clinic=clinic,
        clinics=clinics,
        checks=CHECKS,
        fmt=Display(clinic.timezone, now),
        page_url=page_url,
        shows=SHOW_LABELS,
        previous_url=month_url(*shift(year, month_number, -1)),
        next_url=month_url(*shift(year, month_number, 1)),
        export_url=url_for("billing.export", month=report.label, clinic=clinic.id),
        worklist_url=url_for("billing.worklist", clinic=clinic.id),
        can_chart=has_role(*CLINICAL_ROLES),
    )


@bp.route("/export.csv")
@roles_required(*BILLING_ROLES)
def export():
    clinics = _clinics()
    clinic = _clinic(clinics)
    chosen = _month(clinic, request.args.get("month"))
    if chosen is None:
        return _bad_month(clinics, clinic, request.args.get("month"))
    report = month_report(db.Session, clinic.id, *chosen, local_today(clinic.timezone, utcnow()))
    audit(
        "billing_month_export",
        clinic_id=clinic.id,
        month=report.label,
        rows=len(report.rows),
        format="csv",
        patient_ids=report.patient_ids,
    )
    return Response(
        billing_csv(report.billing_rows),
        mimetype="text/csv",
        headers={
            "Content-Disposition": (
                f'attachment; filename="billing-{clinic.slug}-{report.label}.csv"'
            )
        },
    )


@bp.route("/worklist")
@roles_required(*BILLING_ROLES)
def worklist():
    clinics = _clinics()
    clinic = _clinic(clinics)
    gap = request.args.get("gap", DEFAULT_MAX_GAP, type=int)
    gap = gap if gap and 1 <= gap <= 120 else DEFAULT_MAX_GAP
    now = utcnow()
    today = local_today(clinic.timezone, now)
    items = month_end_worklist(db.Session, clinic.id, today, max_gap=gap)
    groups: dict[str, list] = {}
    for item in sorted(items, key=lambda i: ((i.care_manager or "~").lower(), i.minutes_needed)):
        groups.setdefault(item.care_manager or "No care manager", []).append(item)
    audit(
        "billing_worklist_view",
        clinic_id=clinic.id,
        month=label(today.year, today.month),
        rows=len(items),
        patient_ids=sorted({i.patient_id for i in items}),
    )
    return render_template(
        "billing/worklist.html",
        clinic=clinic,
        clinics=clinics,
        groups=groups,
        items=items,
        gap=gap,
        today=today,
        days_left=items[0].days_left if items else None,
        month_label=label(today.year, today.month),
        title=title(today.year, today.month),
        fmt=Display(clinic.timezone, now),
        can_chart=has_role(*CLINICAL_ROLES),
    )


@bp.route("/packet/<int:patient_id>/<month>")
@roles_required(*BILLING_ROLES)
def packet(patient_id: int, month: str):
    try:
        year, month_number = parse_month(month)
    except ValueError:
        abort(404)
    allowed = clinic_ids(*BILLING_ROLES)
    clinic_id = db.Session.scalar(
        select(Patient.clinic_id).where(Patient.id == patient_id, Patient.clinic_id.in_(allowed))
    )
    if clinic_id is None:
        abort(404)
    now = utcnow()
    found = audit_packet(db.Session, clinic_id, patient_id, year, month_number, now)
    if found is None:
        abort(404)
    audit(
        "billing_packet_view",
        patient=found.patient,
        object_type="billing_month",
        month=found.month.label,
        minutes=found.counted_minutes,
    )
    return render_template(
        "billing/packet.html",
        p=found,
        patient=found.patient,
        title=title(year, month_number),
        format_codes=format_codes,
        fmt=Display(found.patient.clinic.timezone, now),
        month_url=url_for("billing.month", month=found.month.label, clinic=clinic_id),
        can_chart=has_role(*CLINICAL_ROLES),
    )
