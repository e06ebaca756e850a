"""The patient portal: sign-in with a texted code, the home page and the next-contact buttons.

Thin handlers over ``cocm.portal``: load, check the session, call one service, render. Nothing
about the patient goes into a URL. The sign-in answers the same whether or not the number is
known, and the code text is sent only after that answer has left (see
``portal_session.deliver_after_response``).
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for

from cocm import db, texts
from cocm.audit import record
from cocm.checkins.when import contact_when_text
from cocm.clock import utcnow
from cocm.instruments import get as get_instrument
from cocm.portal import chart, codes, home
from cocm.portal.pending import pending
from cocm.portal.wording import checkin_name, contact_way, short_day
from patient_app.views import portal_session as ps

bp = Blueprint("portal", __name__, url_prefix="/portal")
ps.install(bp)

_CODE_ERRORS = {
    codes.WRONG: "code_wrong",
    codes.MALFORMED: "code_malformed",
    codes.EXPIRED: "code_expired",
    codes.NO_TRIES_LEFT: "code_no_tries",
    codes.LIMITED: "code_limited",
}


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    if ps.current_patient() is not None:
        return redirect(url_for("portal.index"))
    if request.method == "GET":
        return render_template("portal/sign_in.html", error=None, phone="")
    phone = request.form.get("phone", "")[:40]
    try:
        result = codes.request_code(db.Session, phone, ps.remote_addr(), utcnow())
    except codes.InvalidNumber:
        return render_template("portal/sign_in.html", error=ps.t("phone_invalid"), phone=phone), 422
    if result.refusal is not None:
        message = ps.t("too_many_requests", minutes=result.refusal.wait_minutes)
        return render_template("portal/sign_in.html", error=message, phone=phone), 429
    ps.end()
    session[ps.TICKET] = result.ticket
    response = redirect(url_for("portal.code"))
    return ps.deliver_after_response(response, result.outbox_id)


@bp.route("/code", methods=["GET", "POST"])
def code():
    ticket = session.get(ps.TICKET)
    if not ticket:
        return redirect(url_for("portal.sign_in"))
    if request.method == "GET":
        return render_template("portal/code.html", error=None, dead=False)
    outcome = codes.verify_code(
        db.Session, ticket, request.form.get("code", ""), ps.remote_addr(), utcnow()
    )
    if outcome.patient_id is not None:
        ps.begin(patient_id=outcome.patient_id)
        return redirect(url_for("portal.index"))
    # A wrong code still counts (tries, the address's limit, the audit trail): keep it.
    g.commit_on_error = True
    values = {"tries": outcome.tries_left}
    if outcome.refusal is not None:
        values = {"minutes": outcome.refusal.wait_minutes}
    error = ps.t(_CODE_ERRORS[outcome.error], **values)
    dead = outcome.error in (codes.EXPIRED, codes.NO_TRIES_LEFT)
    status = {codes.MALFORMED: 422, codes.LIMITED: 429}.get(outcome.error, 401)
    return render_template("portal/code.html", error=error, dead=dead), status


@bp.route("/sign-out", methods=["POST"])
def sign_out():
    patient = ps.current_patient()
    if patient is not None:
        record(
            db.Session,
            "portal_sign_out",
            patient_id=patient.id,
            clinic_id=patient.clinic_id,
            remote_addr=ps.remote_addr(),
        )
    ps.end("signed_out")
    return redirect(url_for("portal.sign_in"))


@bp.route("/language", methods=["POST"])
def language():
    chosen = request.form.get("lang", "")
    if chosen in texts.LANGUAGES:
        session[ps.LANG] = chosen
    target = request.form.get("next", "")
    # Only a path on this site, never another one.
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = url_for("portal.index")
    return redirect(target)


@bp.route("")
@ps.sign_in_required
def index():
    patient = ps.current_patient()
    now = utcnow()
    lang = ps.lang()
    waiting = pending(db.Session, patient, now)
    contact = home.next_contact(db.Session, patient, now)
    history = []
    for code_, points in home.score_history(db.Session, patient).items():
        name = checkin_name(code_, lang)
        history.append(
            {
                "name": name,
                "svg": chart.history_svg(
                    points,
                    max_total=get_instrument(code_).max_total,
                    lang=lang,
                    element_id=f"history-{code_.lower().replace('-', '')}",
                    title=ps.t("history_chart", name=name),
                ),
                "rows": [(short_day(day, lang), total) for day, total in reversed(points)],
            }
        )
    record(
        db.Session,
        "portal_home_viewed",
        patient_id=patient.id,
        clinic_id=patient.clinic_id,
        remote_addr=ps.remote_addr(),
    )
    return render_template(
        "portal/home.html",
        patient=patient,
        first_name=patient.first_name,
        waiting=[{"item": item, "name": checkin_name(item.instrument, lang)} for item in waiting],
        contact=contact,
        contact_when=contact_when_text(contact.at, patient.zone, lang) if contact else None,
        contact_how=contact_way(contact.kind, lang) if contact else None,
        goals=home.goals(db.Session, patient),
        history=history,
    )


def _contact_action(action, flash_key: str):
    patient = ps.current_patient()
    contact_id = request.form.get("contact", "")
    try:
        action(db.Session, patient, int(contact_id), utcnow(), ps.remote_addr())
    except (ValueError, home.NoSuchContact):
        flash(ps.t("contact_gone"))
        return redirect(url_for("portal.index"))
    flash(ps.t(flash_key))
    return redirect(url_for("portal.index") + "#next-contact")


@bp.route("/contact/confirm", methods=["POST"])
@ps.sign_in_required
def confirm_contact():
    return _contact_action(home.confirm_contact, "confirmed_flash")


@bp.route("/contact/reschedule", methods=["POST"])
@ps.sign_in_required
def reschedule_contact():
    return _contact_action(home.ask_to_reschedule, "reschedule_flash")
