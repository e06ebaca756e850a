from __future__ import annotations

import pytest

from tests.cocm.portal.helpers import portal_world  # noqa: F401
from tests.patient_app.twilio.helpers import recorder  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_redis(redis):
    return redis


@pytest.fixture
def client(patient_app):
    return patient_app.test_client()
