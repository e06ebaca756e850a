"""A scratch database of the same kind as the test database, with real commits.

For tests whose other side is another thread or process (a browser, RQ workers, cron
processes): they cannot see the rolled-back transaction of the ``session`` fixture.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def scratch_database(test_url: str, tmp_dir: Path, label: str) -> tuple[str, Callable[[], None]]:
    """Create an empty database; return its URL and a function that drops it."""
    url = make_url(test_url)
    if url.get_backend_name() == "sqlite":
        path = tmp_dir / f"{label}-{uuid.uuid4().hex[:8]}.sqlite3"
        return f"sqlite:///{path}", lambda: None
    name = f"{url.database}_{label}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url.set(database=name).render_as_string(hide_password=False), drop


def migrate(url: str) -> None:
    from alembic import command

    from cocm.db import make_engine
    from cocm.migrate import alembic_config

    engine = make_engine(url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    engine.dispose()
