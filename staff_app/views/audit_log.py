"""The audit log for admins: who did what, to which patient, when; filtered and paginated."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, render_template, request
from sqlalchemy import func, or_, select

from cocm import db
from cocm.clock import local
from cocm.models import AuditEvent, Clinic, Membership, Staff
from staff_app.access import audit, clinic_ids, roles_required
from staff_app.forms.audit_log import AuditFilterForm
from staff_app.forms.common import options

bp = Blueprint("audit_log", __name__)
PER_PAGE = 50


def _scope(ids: set[int]):
    """Events of the admin's clinics, and clinic-less events (sign-ins) of their staff."""
    their_staff = select(Membership.staff_id).where(Membership.clinic_id.in_(ids))
    return or_(
        AuditEvent.clinic_id.in_(ids),
        (AuditEvent.clinic_id.is_(None) & AuditEvent.staff_id.in_(their_staff)),
    )


@bp.route("/audit")
@roles_required("admin")
def index():
    ids = clinic_ids("admin")
    zone = db.Session.scalar(select(Clinic.timezone).where(Clinic.id.in_(ids)).limit(1)) or "UTC"
    form = AuditFilterForm(request.args)
    people = db.Session.execute(
        select(Staff.id, Staff.full_name)
        .where(Staff.id.in_(select(Membership.staff_id).where(Membership.clinic_id.in_(ids))))
        .order_by(Staff.full_name)
    ).all()
    form.staff_id.choices = options([("", "Anyone")] + [(i, n) for i, n in people])
    valid = form.validate()
    query = select(AuditEvent).where(_scope(ids))
    if valid:
        if form.staff_id.data:
            query = query.where(AuditEvent.staff_id == form.staff_id.data)
        if form.patient_id.data:
            query = query.where(AuditEvent.patient_id == form.patient_id.data)
        if form.action.data:
            query = query.where(AuditEvent.action == form.action.data.strip())
        if form.since.data:
            start = datetime.combine(form.since.data, time.min).replace(tzinfo=ZoneInfo(zone))
            query = query.where(AuditEvent.occurred_at >= start.astimezone(UTC))
        if form.until.data:
            end = datetime.combine(form.until.data + timedelta(days=1), time.min)
            query = query.where(AuditEvent.occurred_at < end.replace(tzinfo=ZoneInfo(zone)))
    page = form.page.data if valid and form.page.data else 1
    total = db.Session.scalar(select(func.count()).select_from(query.subquery()))
    events = db.Session.scalars(
        query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    names = dict(people)
    actions = db.Session.scalars(
        select(AuditEvent.action).where(_scope(ids)).distinct().order_by(AuditEvent.action)
    ).all()
    audit(
        "audit_log_view",
        filters={k: v for k, v in request.args.items() if k != "page" and v},
    )
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "audit_log/index.html",
        form=form,
        events=events,
        names=names,
        actions=actions,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        total=total,
        args=args,
        when=lambda moment: local(moment, zone).strftime("%Y-%m-%d %H:%M:%S"),
        zone=zone,
    ), (200 if valid else 422)
