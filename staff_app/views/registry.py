"""The registry: the caseload at a glance, sortable and filterable, with a CSV export.

Care managers start on their own patients; everyone else on all patients of their clinics.
Viewing and exporting are audited (an export names every patient it carried).
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, current_app, render_template, request, url_for
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from cocm import db
from cocm.clock import utcnow
from cocm.models import Clinic, Membership, Staff
from cocm.models.enums import EPISODE_STATUSES, OPEN_EPISODE_STATUSES
from cocm.registry import FLAGS, GROUP_FILTERS, SORTS, RegistryFilters, registry
from cocm.registry.display import Display
from cocm.registry.export import registry_csv
from cocm.registry.flags import SHORT_LABELS
from staff_app.access import CLINICAL_ROLES, audit, clinic_ids, current_staff, roles_required

bp = Blueprint("registry", __name__, url_prefix="/registry")

# A caseload of 80-120 fits on one page; a lead's view of a large clinic is paged (the chips and
# the CSV export always cover every matching row).
PAGE_SIZE = 250

# (sort key, column heading) in table order; headings without a key are not sortable.
COLUMNS = (
    ("patient", "Patient"),
    ("flags", "Flags"),
    ("mrn", "MRN"),
    ("care_manager", "Care manager"),
    ("status", "Status"),
    ("enrolled", "Enrolled"),
    ("weeks", "Weeks"),
    ("phq9_baseline", "PHQ-9 baseline"),
    ("phq9_last", "PHQ-9 last"),
    ("phq9_change", "PHQ-9 change"),
    ("gad7_baseline", "GAD-7 baseline"),
    ("gad7_last", "GAD-7 last"),
    ("gad7_change", "GAD-7 change"),
    ("last_contact", "Last contact"),
    ("next_contact", "Next contact"),
    ("next_action", "Next action"),
    ("minutes", "Minutes this month"),
)


@bp.context_processor
def _endpoints() -> dict:
    return {"endpoints": current_app.view_functions}


def _clinics(ids: set[int]) -> list[Clinic]:
    return list(db.Session.scalars(select(Clinic).where(Clinic.id.in_(ids)).order_by(Clinic.name)))


def _care_managers(ids: set[int]) -> list[Staff]:
    query = (
        select(Staff)
        .join(Membership, Membership.staff_id == Staff.id)
        .where(Membership.clinic_id.in_(ids), Membership.role == "care_manager")
        .distinct()
        .order_by(Staff.full_name)
    )
    return list(db.Session.scalars(query))


def _read_filters(args: MultiDict, allowed: set[int]) -> tuple[RegistryFilters, dict]:
    """The filters from the query string; anything unknown falls back to the default."""
    is_manager = bool(clinic_ids("care_manager"))
    cm = args.get("cm", "me" if is_manager else "all")
    if cm == "me":
        manager_id = current_staff().id
    elif cm.isdigit():
        manager_id = int(cm)
    else:
        cm, manager_id = "all", None
    statuses = tuple(s for s in args.getlist("status") if s in EPISODE_STATUSES)
    statuses = statuses or OPEN_EPISODE_STATUSES
    flag = args.get("flag") or None
    flag = flag if flag in FLAGS or flag in GROUP_FILTERS else None
    clinic = args.get("clinic", type=int)
    clinic = clinic if clinic in allowed else None
    sort = args.get("sort", "priority")
    sort = sort if sort in SORTS else "priority"
    descending = args.get("dir") == "desc"
    filters = RegistryFilters(
        care_manager_id=manager_id,
        statuses=statuses,
        flag=flag,
        clinic_id=clinic,
        sort=sort,
        descending=descending,
    )
    # The same choices as query-string values, for links that change one thing at a time.
    params = {
        "cm": cm,
        "status": list(statuses) if statuses != OPEN_EPISODE_STATUSES else None,
        "flag": flag,
        "clinic": clinic,
        "sort": sort if sort != "priority" else None,
        "dir": "desc" if descending else None,
    }
    return filters, params


def _today(clinics: list[Clinic]) -> date:
    zone = clinics[0].timezone if clinics else "UTC"
    return Display(zone, utcnow()).local(utcnow()).date()


def _load(page: int | None = None):
    """The registry as asked for; ``page``: only that page's rows (the counts cover all)."""
    allowed = clinic_ids(*CLINICAL_ROLES)
    clinics = _clinics(allowed)
    filters, params = _read_filters(request.args, allowed)
    today = _today(clinics)
    window = {} if page is None else {"offset": (page - 1) * PAGE_SIZE, "limit": PAGE_SIZE}
    result = registry(db.Session, allowed, filters, today, **window)
    return allowed, clinics, filters, params, today, result


@bp.route("")
@roles_required(*CLINICAL_ROLES)
def index():
    asked = max(request.args.get("page", 1, type=int), 1)
    allowed, clinics, filters, params, today, result = _load(page=asked)
    pages = max(1, -(-result.matching // PAGE_SIZE))
    page = result.offset // PAGE_SIZE + 1  # a page past the end shows the last one
    shown = result.rows
    audit(
        "registry_view",
        rows=len(shown),
        page=page,
        flag=filters.flag,
        clinic=filters.clinic_id,
        patient_ids=[r.patient_id for r in shown],
    )

    def link(**changes) -> str:
        merged = {**params, **changes}
        return url_for("registry.index", **{k: v for k, v in merged.items() if v is not None})

    def sort_link(key: str) -> str:
        descending = params["sort"] == key and params["dir"] is None
        return link(sort=key, dir="desc" if descending else None)

    chips = [(name, label) for name, label in FLAGS.items()]
    chips.insert(2, ("case_review", GROUP_FILTERS["case_review"][0]))
    return render_template(
        "registry/index.html",
        result=result,
        rows=shown,
        matching=result.matching,
        page=page,
        pages=pages,
        first=(page - 1) * PAGE_SIZE + 1,
        filters=filters,
        params=params,
        chips=chips,
        flag_labels=FLAGS,
        short_labels=SHORT_LABELS,
        columns=COLUMNS,
        clinics=clinics,
        managers=_care_managers(allowed),
        statuses=EPISODE_STATUSES,
        link=link,
        sort_link=sort_link,
        export_url=url_for("registry.export", **{k: v for k, v in params.items() if v is not None}),
        fmt=Display(clinics[0].timezone if clinics else "UTC", utcnow()),
        today=today,
    )


@bp.route("/export.csv")
@roles_required(*CLINICAL_ROLES)
def export():
    _allowed, _clinics_, filters, params, today, result = _load()
    audit(
        "registry_export",
        rows=len(result.rows),
        filters={k: v for k, v in params.items() if v is not None},
        patient_ids=[r.patient_id for r in result.rows],
    )
    return Response(
        registry_csv(result.rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="registry-{today.isoformat()}.csv"'},
    )
