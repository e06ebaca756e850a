"""The billing month, per clinic of the caller."""

from __future__ import annotations

from sqlalchemy import select

from cocm import db
from cocm.api import people, present
from cocm.api.pagination import page_of
from cocm.api.schemas.billing import BillingPage, BillingQuery
from cocm.api.time_entries import parse_month
from cocm.billing import billing_month
from cocm.models import Clinic
from staff_app.api.context import ApiContext
from staff_app.api.roles import BILLING
from staff_app.api.routing import operation


@operation(
    "GET",
    "/billing/{month}",
    summary="The billing month",
    tag="billing",
    roles=BILLING,
    query=BillingQuery,
    response=BillingPage,
    description="Every episode active in (or with time logged in) the month, per clinic where "
    "you are clinic lead or admin: countable minutes, the month kind, the codes, or what "
    "evidence is missing. `month` is YYYY-MM.",
)
def billing(ctx: ApiContext, month: str, query: BillingQuery) -> BillingPage:
    year, number = parse_month(month)
    ids = people.clinic_filter(db.Session, query.clinic, ctx.clinic_ids(*BILLING))
    clinics = db.Session.scalars(
        select(Clinic).where(Clinic.id.in_(ids)).order_by(Clinic.name, Clinic.id)
    ).all()
    rows = [row for clinic in clinics for row in billing_month(db.Session, clinic.id, year, number)]
    page, cursor = page_of(rows, query.limit, query.cursor, lambda row: row.episode_id)
    for clinic in clinics:
        ctx.audit(
            "api_billing_month",
            clinic_id=clinic.id,
            object_type="billing_month",
            month=f"{year:04d}-{number:02d}",
            patient_ids=[row.patient_id for row in page if row.clinic_slug == clinic.slug],
        )
    return BillingPage(items=[present.billing_row(row) for row in page], next_cursor=cursor)
