"""The README's API walkthrough (docs/api_walkthrough.py), run verbatim against the combined
demo app served on a free port, with the demo seed: enroll, log time, start a check-in, answer
it by signed webhook, read the score, the FHIR Observation and the billing month."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from cocm import db
from cocm.api.tokens import create_token
from cocm.clock import utcnow
from cocm.models import Assessment, Patient, Staff
from tests.e2e.conftest import live_server  # noqa: F401 - the combined app on a seeded database
from tests.patient_app.twilio.helpers import sign

SCRIPT = Path(__file__).resolve().parents[3] / "docs" / "api_walkthrough.py"


def _token(email: str) -> str:
    with db.session_scope() as session:
        staff = session.scalar(select(Staff).where(Staff.email == email))
        _row, token = create_token(session, staff, "walkthrough", utcnow())
    return token


def test_the_signature_is_the_one_twilio_computes():
    spec = importlib.util.spec_from_file_location("api_walkthrough", SCRIPT)
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    params = {"From": "+16175550123", "To": "+15005550006", "Body": "1 2 1", "MessageSid": "SM1"}
    url = "https://cocm.example.org/twilio/sms"
    assert script.twilio_signature("test-auth-token", url, params) == sign("/twilio/sms", params)


@pytest.mark.slow
def test_the_walkthrough_runs_verbatim(live_server, settings):  # noqa: F811
    env = {
        **os.environ,
        "COCM_BASE_URL": live_server,
        "COCM_API_TOKEN": _token("maria.lopez@demo.cocm.example"),
        "COCM_BILLING_TOKEN": _token("sam.rivera@demo.cocm.example"),
        # The live server checks webhook signatures against its own public URL and token.
        "PUBLIC_BASE_URL": live_server,
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token,
    }
    result = subprocess.run(
        [sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "care manager at Riverside Family Medicine (riverside)" in out
    assert "PHQ-9 total 7 (mild)." in out
    assert "FHIR: Observation LOINC 44261-6 = 7." in out
    assert "20 countable minutes, initial month, codes: G2214 x1." in out
    with db.session_scope() as session:
        patient = session.scalar(select(Patient).where(Patient.mrn.like("WALK-%")))
        assessment = session.scalar(select(Assessment).where(Assessment.patient_id == patient.id))
        assert (assessment.channel, assessment.status, assessment.total) == ("sms", "completed", 7)
