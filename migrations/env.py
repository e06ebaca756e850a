"""Plain Alembic environment targeting cocm.db metadata.

The connection comes from ``config.attributes["connection"]`` when a caller (the test suite, the
``cocm db`` commands) passes one, otherwise from the validated settings.
"""

from __future__ import annotations

from alembic import context

import cocm.models  # noqa: F401  (registers every table on the metadata)
from cocm.db import Base, make_engine

target_metadata = Base.metadata


def _configure(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    from cocm.config import get_settings

    engine = make_engine(get_settings().database_url)
    with engine.connect() as connection:
        _configure(connection)
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `cocm db upgrade`")
run_migrations_online()
