from __future__ import annotations

import pytest

from tests.patient_app.twilio.helpers import recorder, world  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_redis(redis):
    return redis
