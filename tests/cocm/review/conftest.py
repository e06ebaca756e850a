"""Fixtures of the case-review tests: the frozen clock and the clinic (see ``helpers``)."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from tests.cocm.review.helpers import LONG_AGO, NOW, TODAY, World

__all__ = ["LONG_AGO", "NOW", "TODAY", "World"]


@pytest.fixture
def clock():
    with freeze_time(NOW) as frozen:
        yield frozen


@pytest.fixture
def world(session):
    return World()
