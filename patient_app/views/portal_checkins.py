"""Questionnaires on the portal, and the one-time links that open a single questionnaire.

One page, one form for every item; "Send my answers" and "Save and finish later" both store
what was chosen at once. After a submission the next page shows the safety message first when
the self-harm item was answered above 0. A link visitor may see only the questionnaire their
link opened and the page after it.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, redirect, render_template, request, url_for

from cocm import db
from cocm.clock import utcnow
from cocm.portal import links
from cocm.portal.forms import NotAvailable, form_for
from cocm.portal.questionnaire import result_of, save
from cocm.portal.wording import checkin_name
from cocm.texts import safety_reply
from patient_app.views import portal_session as ps

bp = Blueprint("portal_checkins", __name__)
ps.install(bp)

_LINK_ERRORS = {
    links.USED: ("link_used", 410),
    links.EXPIRED: ("link_expired", 410),
    links.INVALID: ("link_invalid", 404),
    links.LIMITED: ("link_limited", 429),
}


def _parse(form, allowed: dict[int, set[int]]) -> tuple[dict[int, int], bool]:
    """{item: value} from the fields q<item> the form has; True when one could not be read
    (a value no option has: only a tampered form sends one, and only that answer is dropped)."""
    answers: dict[int, int] = {}
    unreadable = False
    for number, values in allowed.items():
        raw = form.get(f"q{number}")
        if raw is None or raw == "":
            continue
        if raw.isdigit() and int(raw) in values:
            answers[number] = int(raw)
        else:
            unreadable = True
    return answers, unreadable


def _render(form, *, missing=(), unreadable=False, status=200):
    positions = {item.number: index for index, item in enumerate(form.items, start=1)}
    problems = [
        (f"#item-{number}", ps.t("answer_missing_n", n=positions[number])) for number in missing
    ]
    if unreadable:
        problems.append((None, ps.t("answer_invalid")))
    return render_template(
        "portal/checkin.html",
        form=form,
        name=checkin_name(form.instrument, form.lang),
        missing=set(missing),
        problems=problems,
        has_saved=any(item.value is not None for item in form.items),
        positions=positions,
    ), status


def _submit(patient, form):
    """Store what was chosen; show the form again only when something needs the patient."""
    now = utcnow()
    allowed = {item.number: {o.value for o in item.options} for item in form.items}
    answers, unreadable = _parse(request.form, allowed)
    finish = request.form.get("action") != "later"
    result = save(
        db.Session,
        patient,
        answers,
        now,
        assessment_id=form.assessment_id,
        schedule_id=form.schedule_id if form.assessment_id is None else None,
        finish=finish,
        remote_addr=ps.remote_addr(),
    )
    if result.closed or result.risk or not (result.missing or unreadable):
        return redirect(url_for("portal_checkins.after", assessment_id=result.assessment_id))
    again = form_for(db.Session, patient, ps.lang(), now, assessment_id=result.assessment_id)
    # What was chosen is stored: the answer below asks for more but must not roll it back.
    g.commit_on_error = True
    return _render(again, missing=result.missing, unreadable=unreadable, status=422)


@bp.route("/portal/checkins/<int:assessment_id>", methods=["GET", "POST"])
def checkin(assessment_id: int):
    patient = ps.patient_for_assessment(assessment_id)
    if patient is None:
        return redirect(url_for("portal.sign_in"))
    try:
        form = form_for(db.Session, patient, ps.lang(), utcnow(), assessment_id=assessment_id)
    except NotAvailable:
        abort(404)
    if not form.open:
        return redirect(url_for("portal_checkins.after", assessment_id=assessment_id))
    if request.method == "POST":
        return _submit(patient, form)
    return _render(form)


@bp.route("/portal/checkins/due/<int:schedule_id>", methods=["GET", "POST"])
@ps.sign_in_required
def due(schedule_id: int):
    patient = ps.current_patient()
    try:
        form = form_for(db.Session, patient, ps.lang(), utcnow(), schedule_id=schedule_id)
    except NotAvailable:
        return redirect(url_for("portal.index"))
    if request.method == "POST":
        return _submit(patient, form)
    return _render(form)


@bp.route("/portal/checkins/<int:assessment_id>/next")
def after(assessment_id: int):
    patient = ps.patient_for_assessment(assessment_id)
    if patient is None:
        return redirect(url_for("portal.sign_in"))
    try:
        result = result_of(db.Session, patient, assessment_id)
    except NotAvailable:
        abort(404)
    lang = ps.lang()
    return render_template(
        "portal/after.html",
        result=result,
        safety=safety_reply(lang) if result.risk else None,
    )


@bp.route("/q/<token>")
def open_link(token: str):
    outcome = links.redeem(db.Session, token[:64], ps.remote_addr(), utcnow())
    if outcome.error is not None:
        # A refused link is counted against the address: keep that record.
        g.commit_on_error = True
        key, status = _LINK_ERRORS[outcome.error]
        values = {"minutes": outcome.refusal.wait_minutes} if outcome.refusal else {}
        return render_template(
            "portal/message.html",
            title=ps.t("link_title"),
            body=ps.t(key, **values),
            sign_in=True,
        ), status
    signed_in = ps.current_patient()
    if signed_in is None or signed_in.id != outcome.patient_id:
        ps.begin(link={"patient": outcome.patient_id, "assessment": outcome.assessment_id})
    return redirect(url_for("portal_checkins.checkin", assessment_id=outcome.assessment_id))
