"""The registry with its filters."""

from __future__ import annotations

from sqlalchemy import select

from cocm import db
from cocm.api import people, present
from cocm.api.pagination import page_of
from cocm.api.schemas.registry import RegistryPage, RegistryQuery
from cocm.clock import local
from cocm.models import Clinic
from cocm.models.enums import OPEN_EPISODE_STATUSES
from cocm.registry import RegistryFilters, registry_rows
from staff_app.api.context import ApiContext
from staff_app.api.roles import READ
from staff_app.api.routing import operation


@operation(
    "GET",
    "/registry",
    summary="The registry of your clinics",
    tag="registry",
    roles=READ,
    query=RegistryQuery,
    response=RegistryPage,
    description="One row per episode (open ones unless `status` says otherwise), in the "
    "order of `sort` (default: risk, then not improving, then overdue, then by name), with "
    "scores, contacts, minutes this month and flags. A cursor whose row left the list is "
    "refused (422): start again.",
)
def registry(ctx: ApiContext, query: RegistryQuery) -> RegistryPage:
    clinic_ids = people.clinic_filter(db.Session, query.clinic, ctx.clinic_ids(*READ))
    zone = db.Session.scalar(
        select(Clinic.timezone).where(Clinic.id.in_(clinic_ids)).order_by(Clinic.name).limit(1)
    )
    filters = RegistryFilters(
        care_manager_id=query.care_manager_id,
        statuses=tuple(dict.fromkeys(query.status)) or OPEN_EPISODE_STATUSES,
        flag=query.flag,
        patient_id=query.patient_id,
        sort=query.sort,
        descending=query.desc,
    )
    rows = registry_rows(db.Session, clinic_ids, filters, local(ctx.now, zone or "UTC").date())
    page, cursor = page_of(rows, query.limit, query.cursor, lambda row: row.episode_id)
    ctx.audit(
        "api_registry_view",
        rows=len(page),
        flag=query.flag,
        clinic=query.clinic,
        patient_ids=[row.patient_id for row in page],
    )
    return RegistryPage(items=[present.registry_row(row) for row in page], next_cursor=cursor)
