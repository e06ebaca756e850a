"""Fixtures for the /api/v1 tests: two ready clinics, a token per role, time at T0."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from cocm import db
from cocm.messaging.senders import reset_recording_sender
from tests.staff_app.api.helpers import ROLE_ATTRS, T0, Api, build_clinic, token_for


@pytest.fixture
def frozen():
    with freeze_time(T0) as clock:
        yield clock


@pytest.fixture
def home(session, frozen):
    """The caller's clinic."""
    built = build_clinic()
    session.commit()
    return built


@pytest.fixture
def away(session, home):
    """Another clinic: its objects must look like nothing to the caller."""
    built = build_clinic()
    session.commit()
    return built


@pytest.fixture
def client(staff_app):
    return staff_app.test_client()


@pytest.fixture
def tokens(home, session) -> dict[str, str]:
    """A token for each role of the home clinic, keyed by role."""
    made = {role: token_for(home.staff(role)) for role in ROLE_ATTRS}
    session.commit()
    return made


@pytest.fixture
def api_as(client, tokens):
    """``api_as("care_manager")``: a JSON client acting as that role of the home clinic."""

    def make(role: str) -> Api:
        return Api(client, tokens[role])

    return make


@pytest.fixture
def manager(api_as) -> Api:
    return api_as("care_manager")


@pytest.fixture(autouse=True)
def _recorder(settings, redis):
    """Texts and pages go to the recording sender; Redis is real and clean."""
    sender = reset_recording_sender()
    yield sender
    sender.reset()


@pytest.fixture
def sql(session):
    """The current session (``cocm.db.Session``): a request ends the session it used, so tests
    read and write through the registry rather than through the ``session`` fixture's object."""
    return db.Session
