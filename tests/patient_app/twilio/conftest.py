"""Fixtures for the Twilio webhook tests: the clinic world, the patient's phone, the recording
sender (urgent pages are delivered with it right after the commit) and a clean real Redis."""

from __future__ import annotations

import pytest

from tests.patient_app.twilio.helpers import Phone, recorder, world  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_redis(redis):
    return redis


@pytest.fixture
def client(patient_app):
    return patient_app.test_client()


@pytest.fixture
def phone(client, world):  # noqa: F811 - the world must exist before the phone texts
    return Phone(client)
