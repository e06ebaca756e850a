"""Fixtures for the outbound-messaging tests: a clinic in New York, a patient, the process-wide
RecordingSender (reset per test), the real Redis `sms` queue, and a queue on a closed port."""

from __future__ import annotations

import socket

import pytest
from rq import Queue

from cocm.messaging import dispatch
from cocm.messaging.senders import reset_recording_sender
from tests.factories import ClinicFactory, PatientFactory, staff_with_role


@pytest.fixture(autouse=True)
def recorder(settings):
    sender = reset_recording_sender()
    yield sender
    sender.reset()


@pytest.fixture(autouse=True)
def _fresh_redis(redis):
    """Every test here starts with empty queues on the real Redis."""
    return redis


@pytest.fixture
def clinic(session):
    return ClinicFactory(timezone="America/New_York")


@pytest.fixture
def patient(session, clinic):
    return PatientFactory(clinic=clinic, phone_e164="+12025550142")


@pytest.fixture
def on_call(session, clinic):
    return staff_with_role(clinic, "care_manager", phone="+12025550199")


@pytest.fixture
def sms_queue(redis):
    return Queue("sms", connection=redis)


@pytest.fixture
def dead_queue_factory():
    """Queues on a port where nothing listens: every Redis call fails at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return lambda name: dispatch.queue_on(f"redis://127.0.0.1:{port}/0", name)
