#!/usr/bin/env python3
"""A walk through the CoCM JSON API, standard library only.

It enrolls a patient, logs care-manager minutes, starts a PHQ-9 check-in by text, answers it as
the patient would (a Twilio webhook signed exactly as Twilio signs it), reads the score back
(also as FHIR), and reads the billing month. Against `make demo`:

    export COCM_API_TOKEN=$(.venv/bin/cocm create-api-token \
        --user maria.lopez@demo.cocm.example --name walkthrough)
    export COCM_BILLING_TOKEN=$(.venv/bin/cocm create-api-token \
        --user sam.rivera@demo.cocm.example --name walkthrough-billing)
    python3 docs/api_walkthrough.py

The demo serves the staff app under /staff, so the API is at http://127.0.0.1:5000/staff/api/v1
and the patient app (with the Twilio webhook) at the root. Defaults match the demo; override
them with the options (see --help) or the environment variables they name.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

# The patient's nine PHQ-9 answers, sent in one text (item 9, the risk item, is 0).
ANSWERS = "1 2 1 1 0 1 1 0 0"


class ApiError(Exception):
    pass


class Api:
    """JSON over HTTP with a bearer token; refusals are problem documents."""

    def __init__(self, base: str, token: str):
        self.base = base.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: dict | None = None, key: str | None = None):
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if key:
            headers["Idempotency-Key"] = key
        request = urllib.request.Request(self.base + path, data, headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            problem = exc.read().decode("utf-8", "replace")
            raise ApiError(f"{method} {path} -> {exc.code}: {problem}") from None

    def get(self, path: str, **query):
        if query:
            path += "?" + urllib.parse.urlencode(query)
        return self.call("GET", path)

    def post(self, path: str, body: dict):
        # A fresh Idempotency-Key per create: retrying this exact call could not add twice.
        return self.call("POST", path, body, key=str(uuid.uuid4()))


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """X-Twilio-Signature: HMAC-SHA1 over the URL and the sorted parameters, base64."""
    payload = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def text_from_patient(args, phone: str, clinic_number: str, body: str) -> str:
    """POST an inbound text to the patient app's webhook, signed as Twilio would."""
    sid = "SM" + uuid.uuid4().hex
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": phone,
        "To": clinic_number,
        "Body": body,
        "NumMedia": "0",
    }
    signature = twilio_signature(args.twilio_auth_token, args.public_url + "/twilio/sms", params)
    request = urllib.request.Request(
        args.base_url.rstrip("/") + "/twilio/sms",
        urllib.parse.urlencode(params).encode(),
        {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.read().decode()


def options() -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--base-url",
        default=env("COCM_BASE_URL", "http://127.0.0.1:5000"),
        help="where the demo serves both apps (COCM_BASE_URL)",
    )
    parser.add_argument(
        "--api-path",
        default=env("COCM_API_PATH", "/staff/api/v1"),
        help="the API under the base URL (COCM_API_PATH)",
    )
    parser.add_argument(
        "--token", default=env("COCM_API_TOKEN"), help="a care manager's API token (COCM_API_TOKEN)"
    )
    parser.add_argument(
        "--billing-token",
        default=env("COCM_BILLING_TOKEN"),
        help="a clinic lead's or admin's token (COCM_BILLING_TOKEN)",
    )
    parser.add_argument(
        "--public-url",
        default=env("PUBLIC_BASE_URL", "http://localhost:5000"),
        help="the server's PUBLIC_BASE_URL, which webhook signatures cover",
    )
    parser.add_argument(
        "--twilio-auth-token",
        default=env("TWILIO_AUTH_TOKEN", "demo-auth-token"),
        help="the server's TWILIO_AUTH_TOKEN (the demo's default)",
    )
    parser.add_argument(
        "--phone",
        default=env("COCM_WALKTHROUGH_PHONE"),
        help="the patient's mobile number (default: a fictional 617-555-01xx)",
    )
    args = parser.parse_args()
    if not args.token or not args.billing_token:
        parser.error("set COCM_API_TOKEN and COCM_BILLING_TOKEN (see the module docstring)")
    args.public_url = args.public_url.rstrip("/")
    return args


def main() -> int:
    args = options()
    api = Api(args.base_url.rstrip("/") + args.api_path, args.token)
    billing = Api(args.base_url.rstrip("/") + args.api_path, args.billing_token)

    me = api.get("/me")
    clinic = next(c for c in me["clinics"] if "care_manager" in c["roles"])
    today = datetime.now(ZoneInfo(clinic["timezone"])).date()
    print(f"Acting as {me['full_name']}, care manager at {clinic['name']} ({clinic['slug']}).")

    phone = args.phone or f"+1617555{random.randint(100, 199):04d}"
    patient = api.post(
        "/patients",
        {
            "clinic": clinic["slug"],
            "mrn": f"WALK-{int(time.time())}",
            "first_name": "Avery",
            "last_name": "Walker",
            "date_of_birth": "1985-04-12",
            "phone": phone,
            "language": "en",
            "sms_consent": True,
        },
    )
    print(f"Patient {patient['id']} created (MRN {patient['mrn']}).")

    episode = api.post(
        f"/patients/{patient['id']}/episodes",
        {
            "program": "cocm",
            "initiating_visit_on": (today - timedelta(days=7)).isoformat(),
            "consent_on": today.isoformat(),
            "consent_method": "verbal",
            "care_plan": {
                "goals": "Feel less down; sleep through the night",
                "safety_steps": "Call or text 988; call 911 in an emergency",
            },
        },
    )
    print(f"Episode {episode['id']} started: {episode['program']}, {episode['status']}.")

    entry = api.post(
        f"/patients/{patient['id']}/time-entries",
        {"performed_on": today.isoformat(), "minutes": 20, "activity": "assessment"},
    )
    print(f"Logged {entry['minutes']} minutes of {entry['activity']}.")

    checkin = api.post(f"/patients/{patient['id']}/checkins", {"instrument": "PHQ-9"})
    when = "now" if checkin["sends_now"] else f"at {checkin['send_at']} (next texting window)"
    print(f"PHQ-9 check-in {checkin['conversation_id']} started; the first question goes {when}.")

    reply = text_from_patient(args, phone, clinic["sms_number"], ANSWERS)
    print(f"The patient texted {ANSWERS!r}; the service answered with TwiML ({len(reply)} bytes).")

    assessment = api.get(f"/assessments/{checkin['assessment_id']}")
    for _ in range(20):
        if assessment["status"] == "completed":
            break
        time.sleep(0.5)
        assessment = api.get(f"/assessments/{checkin['assessment_id']}")
    if assessment["status"] != "completed":
        raise ApiError(f"the check-in did not complete: {assessment}")
    print(f"PHQ-9 total {assessment['total']} ({assessment['severity']}).")

    bundle = api.get(f"/assessments/{assessment['id']}/fhir")
    observation = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
    )
    code = observation["code"]["coding"][0]["code"]
    print(f"FHIR: Observation LOINC {code} = {observation['valueInteger']}.")

    month = f"{today:%Y-%m}"
    rows, cursor = [], None
    while True:
        page = billing.get(
            f"/billing/{month}", clinic=clinic["slug"], **({"cursor": cursor} if cursor else {})
        )
        rows += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    row = next(r for r in rows if r["episode_id"] == episode["id"])
    codes = ", ".join(f"{c['code']} x{c['units']}" for c in row["codes"]) or "none yet"
    print(
        f"Billing {month}: {row['minutes']} countable minutes, {row['month_kind']} month, "
        f"codes: {codes}."
    )
    if row["missing"]:
        print("  missing: " + "; ".join(row["missing"]))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ApiError, urllib.error.URLError) as exc:
        print(f"api_walkthrough: {exc}", file=sys.stderr)
        sys.exit(1)
