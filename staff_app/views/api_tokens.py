"""API tokens for admins: every token of the staff of their clinics, with a revoke button.

Tokens are created with ``cocm create-api-token`` (shown once there); this page shows only each
token's prefix, never the token. Viewing and revoking are audited.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from cocm import db
from cocm.api.tokens import revoke, token_in_clinics, tokens_for_clinics
from cocm.clock import local, utcnow
from cocm.models import Clinic
from staff_app.access import audit, clinic_ids, roles_required
from staff_app.forms.admin import ActiveForm

bp = Blueprint("api_tokens", __name__)


@bp.route("/admin/api-tokens")
@roles_required("admin")
def index():
    ids = clinic_ids("admin")
    rows = tokens_for_clinics(db.Session, ids)
    zone = (
        db.Session.scalar(
            select(Clinic.timezone).where(Clinic.id.in_(ids)).order_by(Clinic.name).limit(1)
        )
        or "UTC"
    )
    audit("api_tokens_view", rows=len(rows))
    return render_template(
        "api_tokens/index.html",
        rows=rows,
        zone=zone,
        when=lambda moment: local(moment, zone).strftime("%Y-%m-%d %H:%M") if moment else "—",
    )


@bp.route("/admin/api-tokens/revoke", methods=["POST"])
@roles_required("admin")
def revoke_token():
    # The token's id travels in the form: the page posts it with the CSRF token.
    raw = request.form.get("token_id", "")
    token_id = int(raw) if raw.isdigit() and len(raw) < 10 else None
    token = token_in_clinics(db.Session, token_id, clinic_ids("admin")) if token_id else None
    if token is None:
        abort(404)
    if not ActiveForm().validate_on_submit():
        abort(400)
    if revoke(db.Session, token, utcnow()):
        audit(
            "api_token_revoked",
            object_type="api_token",
            object_id=token.id,
            token_staff_id=token.staff_id,
            prefix=token.prefix,
        )
        flash(f"Token {token.prefix}… ({token.name}) is revoked; it no longer works.")
    else:
        flash("This token was already revoked.")
    return redirect(url_for("api_tokens.index"))
