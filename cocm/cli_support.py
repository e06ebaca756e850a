"""Turn configuration and connection errors into one clear line instead of a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

from cocm.config import ConfigError
from cocm.redis_queue import RedisUnavailable

T = TypeVar("T")


def fail_on_config_error(build: Callable[[], T]) -> T:
    try:
        return build()
    except (ConfigError, RedisUnavailable) as exc:
        print(f"cocm: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
