"""The staff landing page: where each role starts its day.

Care managers see their queue and their caseload's flags, each a link into the queue or the
registry already filtered; everyone else sees the places their role works in.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for
from flask_login import current_user, login_required

from cocm import db
from cocm.clock import utcnow
from cocm.registry import FLAGS, GROUP_FILTERS, RegistryFilters, registry
from cocm.registry.display import Display
from cocm.registry.queue import queue_counts
from staff_app.access import CLINICAL_ROLES, clinic_ids, has_role

bp = Blueprint("home", __name__)

# (role, label, endpoint, query args): the starting points per role, shown if the area exists.
START = (
    ("treating_clinician", "Care plans to sign", "episodes.to_sign", {}),
    ("treating_clinician", "Recommendations to decide", "review.inbox", {}),
    ("treating_clinician", "Your patients in the registry", "registry.index", {"cm": "all"}),
    ("treating_clinician", "Response queue", "queue.index", {}),
    ("psychiatric_consultant", "Case review", "review.index", {}),
    (
        "psychiatric_consultant",
        "Patients who need case review",
        "registry.index",
        {"cm": "all", "flag": "case_review"},
    ),
    ("clinic_lead", "Registry: all patients", "registry.index", {"cm": "all"}),
    ("clinic_lead", "Patients at risk", "registry.index", {"cm": "all", "flag": "risk"}),
    ("clinic_lead", "Response queue", "queue.index", {}),
    ("clinic_lead", "Quality dashboard", "dashboard.index", {}),
    ("clinic_lead", "Billing month", "billing.month", {}),
    ("admin", "Clinic setup", "admin.index", {}),
    ("admin", "Audit log", "audit_log.index", {}),
)


def _links() -> list[tuple[str, str]]:
    views, seen, links = current_app.view_functions, set(), []
    for role, label, endpoint, args in START:
        if endpoint in views and has_role(role) and label not in seen:
            seen.add(label)
            links.append((label, url_for(endpoint, **args)))
    return links


@bp.route("/")
@login_required
def index():
    managed = clinic_ids("care_manager")
    queue = flags = None
    if managed:
        queue = queue_counts(db.Session, managed, current_user.id)
        visible = clinic_ids(*CLINICAL_ROLES)
        zone = current_user.staff.memberships[0].clinic.timezone
        today = Display(zone, utcnow()).local(utcnow()).date()
        mine = registry(
            db.Session, visible, RegistryFilters(care_manager_id=current_user.id), today
        )
        flags = {"total": mine.total, "counts": mine.counts}
    return render_template(
        "home.html",
        user=current_user,
        queue=queue,
        flags=flags,
        flag_labels={**FLAGS, **{k: v[0] for k, v in GROUP_FILTERS.items()}},
        links=_links(),
        has_queue="queue.index" in current_app.view_functions,
        has_registry="registry.index" in current_app.view_functions,
    )
