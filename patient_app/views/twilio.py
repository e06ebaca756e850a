"""Twilio webhooks (DESIGN sections 6 and 8): inbound texts and delivery status callbacks.

Both accept only a valid ``X-Twilio-Signature`` computed on the configured public URL
(``PUBLIC_BASE_URL`` + path + raw query string), never on ``request.url``: behind a proxy the
app sees another scheme and host than Twilio used. Every form parameter is signed, so every one
is passed to the validator, including any Twilio adds in future. A request that could not be
stored gets 503 (webcommon turns database errors and failed commits into 503), so Twilio retries.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator

from cocm import db
from cocm.clock import utcnow
from cocm.inbound import receive_sms, twiml
from cocm.messaging.status import apply_status

bp = Blueprint("twilio", __name__, url_prefix="/twilio")

SIGNATURE_HEADER = "X-Twilio-Signature"


def public_url() -> str:
    """The URL Twilio requested, as configured: public base + path + raw query string."""
    settings = current_app.config["COCM_SETTINGS"]
    url = settings.public_base_url + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("utf-8", "replace")
    return url


def _require_signature() -> None:
    settings = current_app.config["COCM_SETTINGS"]
    signature = request.headers.get(SIGNATURE_HEADER, "")
    token = settings.twilio_auth_token
    # request.form keeps repeated parameters; the validator signs every value of each.
    if not signature or not token:
        abort(403)
    if not RequestValidator(token).validate(public_url(), request.form, signature):
        abort(403)


def _xml(body: str) -> Response:
    return Response(body, status=200, mimetype="text/xml")


@bp.route("/sms", methods=["POST"])
def sms():
    _require_signature()
    form = request.form
    result = receive_sms(
        db.Session,
        message_sid=form.get("MessageSid") or form.get("SmsSid"),
        from_number=form.get("From"),
        to_number=form.get("To"),
        body=form.get("Body", ""),
        opt_out_type=form.get("OptOutType") or None,
        now=utcnow(),
        messaging_service_sid=form.get("MessagingServiceSid") or None,
    )
    return _xml(result.twiml)


@bp.route("/status", methods=["POST"])
def status():
    _require_signature()
    form = request.form
    apply_status(
        db.Session,
        form.get("MessageSid") or form.get("SmsSid") or "",
        form.get("MessageStatus") or form.get("SmsStatus") or "",
        form.get("ErrorCode") or None,
        utcnow(),
    )
    return _xml(twiml())
