"""Plain SQLAlchemy 2.0: the engine, the session and the declarative base.

Services call ``flush()``; the request or job wrapper at the edge commits once.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC; always hands back timezone-aware UTC, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use cocm.clock.utcnow()")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def make_engine(url: str, **kwargs) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and real SAVEPOINT support."""
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).update({"timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection, _record):
            # pysqlite's own transaction handling breaks SAVEPOINT; we emit BEGIN ourselves.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            # IMMEDIATE takes the write lock up front: several processes (web, workers, cron)
            # then wait their turn under busy_timeout instead of failing on a lock upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    kwargs.setdefault("pool_pre_ping", True)
    if url.startswith(("postgresql", "postgres")):
        # JIT off: our statements are short and many; on set-based pages (the billing month,
        # the registry) the planner's cost estimate crosses jit_above_cost and PostgreSQL then
        # spent 0.3 s to several seconds compiling plans that run in tens of milliseconds.
        options = kwargs.setdefault("connect_args", {}).get("options", "")
        kwargs["connect_args"]["options"] = f"{options} -c jit=off".strip()
    return create_engine(url, **kwargs)


# One thread-local session registry for the whole process; each app, job and command binds it.
session_factory = sessionmaker(expire_on_commit=False)
Session: scoped_session[OrmSession] = scoped_session(session_factory)
_engine: Engine | None = None


def configure(url: str, **kwargs) -> Engine:
    """Create the engine for ``url`` and bind the session registry to it."""
    global _engine
    if _engine is not None and str(_engine.url) == url:
        return _engine
    if _engine is not None:
        _engine.dispose()
    _engine = make_engine(url, **kwargs)
    session_factory.configure(bind=_engine)
    return _engine


def get_engine() -> Engine:
    if _engine is None:
        raise RuntimeError("cocm.db.configure() has not been called")
    return _engine


@contextmanager
def session_scope() -> Iterator[OrmSession]:
    """A unit of work for jobs and commands: commit on success, roll back on error."""
    session = Session()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        Session.remove()
