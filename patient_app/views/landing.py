"""The public front page: tells a patient where they are and how to reach their clinic."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("landing", __name__)


@bp.route("/")
def index():
    return render_template("landing.html")


@bp.route("/healthz")
def healthz():
    return {"status": "ok"}
