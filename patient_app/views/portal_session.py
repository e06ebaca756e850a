"""The portal's session (no blueprint: shared by the portal's page modules).

Flask's signed cookie holds only ids and times, never PHI: the signed-in patient's id, or for a
one-time link the single assessment it opened, a pending sign-in ticket, the chosen language,
and when the visitor was last seen. A session ends after 15 minutes idle (checked on every
request) and after 12 hours in any case. Patient-facing words come from ``portal_words``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_wtf.csrf import CSRFError

from cocm import db, texts
from cocm.clock import utcnow
from cocm.messaging import dispatch
from cocm.messaging.keys import URGENT_KEY
from cocm.models import Patient
from patient_app.views.portal_words import translate

PATIENT = "portal_patient"
LINK = "portal_link"  # {"patient": id, "assessment": id}: a one-time link's grant
TICKET = "portal_ticket"
LANG = "portal_lang"
SEEN = "portal_seen"
SINCE = "portal_since"
KEYS = (PATIENT, LINK, TICKET, SEEN, SINCE)

IDLE = timedelta(minutes=15)
LONGEST = timedelta(hours=12)


def lang() -> str:
    """The chosen language, else the signed-in patient's, else the browser's (en or es)."""
    chosen = session.get(LANG)
    if chosen in texts.LANGUAGES:
        return chosen
    patient = current_patient()
    if patient is not None:
        return texts.language(patient.language)
    return request.accept_languages.best_match(texts.LANGUAGES) or "en"


def t(key: str, **values: object) -> str:
    return translate(lang(), key, **values)


def context() -> dict:
    """Template globals for every portal page."""
    return {
        "t": t,
        "lang": lang(),
        "signed_in": PATIENT in session,
        "link_visit": LINK in session and PATIENT not in session,
    }


def _parse(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def end(reason: str | None = None) -> None:
    """End the portal session (the language choice and CSRF token stay)."""
    for key in KEYS:
        session.pop(key, None)
    if reason:
        flash(t(reason))


def check_idle() -> None:
    """Before each portal request: end a session idle past 15 minutes or older than 12 hours,
    otherwise note that the visitor was seen now."""
    if PATIENT not in session and LINK not in session:
        return
    now = utcnow()
    seen, since = _parse(session.get(SEEN)), _parse(session.get(SINCE))
    if seen is None or since is None or now - seen > IDLE or now - since > LONGEST:
        end("signed_out_idle")
        return
    session[SEEN] = now.isoformat()


def begin(patient_id: int | None = None, link: dict | None = None) -> None:
    """Start a fresh session for a signed-in patient or a link visit."""
    end()
    now = utcnow().isoformat()
    if patient_id is not None:
        session[PATIENT] = patient_id
    if link is not None:
        session[LINK] = link
    session[SEEN] = now
    session[SINCE] = now


def current_patient() -> Patient | None:
    """The signed-in patient (a link visit is not signed in)."""
    patient_id = session.get(PATIENT)
    return db.Session.get(Patient, patient_id) if isinstance(patient_id, int) else None


def patient_for_assessment(assessment_id: int) -> Patient | None:
    """Who may see ``assessment_id`` now: the signed-in patient, or the link visitor when it is
    the one assessment their link opened."""
    patient = current_patient()
    if patient is not None:
        return patient
    grant = session.get(LINK)
    if isinstance(grant, dict) and grant.get("assessment") == assessment_id:
        return db.Session.get(Patient, grant.get("patient"))
    return None


def sign_in_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_patient() is None:
            if session.get(LINK) is None and request.method == "GET":
                flash(t("please_sign_in"))
            return redirect(url_for("portal.sign_in"))
        return view(*args, **kwargs)

    return wrapped


def remote_addr() -> str | None:
    return request.remote_addr


def deliver_after_response(response, outbox_id: int | None):
    """Send the sign-in code once the answer has gone to the browser.

    The code is an urgent outbox row, which the commit hook would send before the response
    leaves; moved to the response's close instead, the answer for a known number takes as long
    as for an unknown one (no timing tells them apart). It still goes straight after the commit,
    in this process; if the commit failed the row does not exist and nothing is sent, and if the
    process dies first the sweeper sends it.
    """
    if outbox_id is None:
        return response
    urgent = db.Session.info.get(URGENT_KEY) or []
    if outbox_id in urgent:
        urgent.remove(outbox_id)
        response.call_on_close(lambda: dispatch.deliver_now([outbox_id]))
    return response


def install(bp: Blueprint) -> None:
    """The idle check, template globals and the CSRF error page for one portal blueprint."""
    bp.before_request(check_idle)
    bp.context_processor(context)

    @bp.errorhandler(CSRFError)
    def _csrf_error(_error):
        return render_template(
            "portal/message.html", title=t("problem"), body=t("form_expired")
        ), 400
