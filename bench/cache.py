"""A cache of built benchmark clinics as PostgreSQL template databases.

    python -m bench.cache                # list the templates: size, what they hold, stale or not
    python -m bench.cache --drop-stale   # drop those no run can use any more
    python -m bench.cache --drop-all     # drop every one

Not a benchmark (no ``main``). ``clinic_database(url, builds)`` gives a script its database,
migrated and holding the clinics ``bench.data.build_clinic(**build)`` makes for each build, in
order. On PostgreSQL it first looks for the template ``cocm_bench_tpl_<hash>``, the hash taken
over the builds (sizes, seed, slug and the day they are built for: the history ends today), the
Alembic head revision(s) and the source of ``bench/data.py`` and ``bench/writer.py``; if there
is one, the database is a file copy of it (``CREATE DATABASE ... TEMPLATE``, seconds instead of
minutes). If not, it migrates and builds, then saves the result as that template. Either way
the database is the same, row for row; what a script adds after (a clinic lead, queue items)
is not cached. The returned ``BenchClinic`` values are kept as JSON in the template's database
comment. A template is never updated: a new day, a new migration or an edit of the generator
changes the hash, and the old template is only left behind (``--drop-stale`` clears those).
``BENCH_CACHE=0`` builds afresh and saves nothing.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench.common import DEFAULT_URL, fresh_database, migrate
from bench.data import BenchClinic, build_clinic

PREFIX = "cocm_bench_tpl_"
_SOURCES = [Path(__file__).parent / "data.py", Path(__file__).parent / "writer.py"]
# Below this a WAL-logged copy is quicker than FILE_COPY's two checkpoints.
_FILE_COPY_BYTES = 200 * 1024 * 1024


def enabled() -> bool:
    return os.environ.get("BENCH_CACHE", "1") != "0"


def clinic_database(
    url: str, builds: Sequence[dict], *, progress: Callable[[str], None] | None = None
) -> tuple[str, Callable[[], None], list[BenchClinic]]:
    """A fresh database at ``url`` (dropped first) at the current schema, holding one clinic
    per build (``build_clinic`` keyword arguments, ``today`` defaulting to today in UTC), from
    the template cache when it can; returns the URL to use, a function that drops the database,
    and the clinics. ``progress`` gets ``build_clinic``'s lines; the cache's own always print."""
    today = datetime.now(UTC).date()
    builds = [{"today": today, **build} for build in builds]
    if make_url(url).get_backend_name() != "postgresql" or not enabled():
        url, drop = fresh_database(url)
        return url, drop, _build(url, builds, progress, drop)
    key = cache_key(builds)
    name = PREFIX + hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:24]
    url, drop = fresh_database(url)
    target = make_url(url).database
    admin = _admin(url)
    try:
        with admin.connect() as connection:
            saved = _comment(connection, name)
            if saved is not None:
                began = time.monotonic()
                connection.execute(text(f'DROP DATABASE "{target}"'))
                connection.execute(
                    text(
                        f'CREATE DATABASE "{target}" TEMPLATE "{name}"{_strategy(connection, name)}'
                    )
                )
                print(
                    f"  {target}: copied from the cache ({name}) in "
                    f"{time.monotonic() - began:.1f} s (BENCH_CACHE=0 builds afresh)",
                    flush=True,
                )
                return url, drop, [_clinic(c) for c in saved["clinics"]]
        print(f"  {target}: not in the cache, building (then saved as {name})", flush=True)
        clinics = _build(url, builds, progress, drop)
        _save(admin, target, name, {**key, "clinics": [_plain(asdict(c)) for c in clinics]})
        return url, drop, clinics
    finally:
        admin.dispose()


def cache_key(builds: Sequence[dict]) -> dict:
    """What a clinic database depends on: each build's arguments with build_clinic's defaults
    filled in, the schema's Alembic heads and the generator's source."""
    from alembic.script import ScriptDirectory

    from cocm.migrate import alembic_config

    signature = inspect.signature(build_clinic)
    normalised = []
    for build in builds:
        bound = signature.bind_partial(**build)
        bound.apply_defaults()
        arguments = {k: v for k, v in bound.arguments.items() if k not in _NOT_IN_KEY}
        arguments["slug"] = arguments["slug"] or f"bench-{arguments['seed']}-{build['patients']}"
        normalised.append(_plain(arguments))
    source = hashlib.sha256(b"".join(path.read_bytes() for path in _SOURCES)).hexdigest()
    heads = sorted(ScriptDirectory.from_config(alembic_config()).get_heads())
    return {"builds": normalised, "heads": heads, "source": source[:16]}


# Arguments that do not change what is built (batch size only changes how it is sent).
_NOT_IN_KEY = {"engine", "progress", "batch"}


def _build(url: str, builds: list[dict], progress, drop) -> list[BenchClinic]:
    from cocm.db import make_engine

    engine = make_engine(url)
    try:
        migrate(engine)
        return [build_clinic(engine, **build, progress=progress) for build in builds]
    except BaseException:
        engine.dispose()
        drop()
        raise
    finally:
        # CREATE DATABASE ... TEMPLATE needs the built database to have no connections.
        engine.dispose()


def _save(admin, source: str, name: str, comment: dict) -> None:
    """Copy ``source`` to the template ``name``: under a temporary name first, commented and
    closed to connections (a connection to a template blocks every copy of it), then renamed,
    so a concurrent run sees the whole template or none. Failing to save is only a warning."""
    began = time.monotonic()
    temporary = f"{name}_new{os.getpid()}"
    body = json.dumps(comment).replace("'", "''")
    with admin.connect() as connection:
        try:
            for attempt in range(5):
                try:
                    connection.execute(
                        text(
                            f'CREATE DATABASE "{temporary}" TEMPLATE "{source}"'
                            f"{_strategy(connection, source)}"
                        )
                    )
                    break
                except Exception:  # noqa: BLE001 - e.g. autovacuum still in the source
                    if attempt == 4:
                        raise
                    time.sleep(1 + attempt)
            connection.execute(text(f"COMMENT ON DATABASE \"{temporary}\" IS '{body}'"))
            connection.execute(
                text(f'ALTER DATABASE "{temporary}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false')
            )
            if _comment(connection, name) is None:
                connection.execute(text(f'ALTER DATABASE "{temporary}" RENAME TO "{name}"'))
            print(f"  saved as {name} in {time.monotonic() - began:.1f} s", flush=True)
        except Exception as error:  # noqa: BLE001 - the benchmark goes on without the cache
            print(f"  could not save the template {name}: {error}", flush=True)
        finally:
            _drop(connection, temporary)


def _strategy(connection, source: str) -> str:
    """FILE_COPY (PostgreSQL 15+) for big databases: a file copy after a checkpoint, instead of
    writing every page through the WAL."""
    version = int(connection.execute(text("SHOW server_version_num")).scalar())
    if version < 150000:
        return ""
    size = connection.execute(text("SELECT pg_database_size(:n)"), {"n": source}).scalar()
    return " STRATEGY FILE_COPY" if size > _FILE_COPY_BYTES else ""


def _comment(connection, name: str) -> dict | None:
    raw = connection.execute(
        text("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = :n"),
        {"n": name},
    ).scalar()
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def _drop(connection, name: str) -> None:
    exists = connection.execute(
        text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
    ).scalar()
    if exists:
        connection.execute(text(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE false'))
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))


def _admin(url: str):
    return create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")


def _plain(values: dict) -> dict:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def _clinic(saved: dict) -> BenchClinic:
    return BenchClinic(
        **{
            **saved,
            "first_month": date.fromisoformat(saved["first_month"]),
            "last_full_month": date.fromisoformat(saved["last_full_month"]),
        }
    )


def templates(url: str) -> list[tuple[str, int, dict | None]]:
    """(name, bytes, comment) of every cached template on ``url``'s server."""
    admin = _admin(url)
    try:
        with admin.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT datname, pg_database_size(oid) FROM pg_database "
                    "WHERE datname LIKE :p ORDER BY datname"
                ),
                {"p": PREFIX.replace("_", r"\_") + "%"},
            ).all()
            return [(name, size, _comment(connection, name)) for name, size in rows]
    finally:
        admin.dispose()


def _stale(comment: dict | None, today: date, current: dict) -> bool:
    if comment is None:
        return True
    if comment.get("heads") != current["heads"] or comment.get("source") != current["source"]:
        return True
    return any(build.get("today") != today.isoformat() for build in comment.get("builds", []))


def cli(argv: list[str]) -> int:
    """List the cached templates, or drop the stale ones or all of them."""
    url = make_url(os.environ.get("DATABASE_URL", DEFAULT_URL))
    if url.get_backend_name() != "postgresql":
        print("the cache is for PostgreSQL only")
        return 0
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    url = url.render_as_string(hide_password=False)
    today = datetime.now(UTC).date()
    current = cache_key([])
    drop = "--drop-all" in argv or "--drop-stale" in argv
    admin = _admin(url)
    try:
        for name, size, comment in templates(url):
            stale = _stale(comment, today, current)
            builds = ", ".join(
                f"{b['patients']:,} patients x {b['months']} months ({b['today']})"
                for b in (comment or {}).get("builds", [])
            )
            if drop and ("--drop-all" in argv or stale):
                with admin.connect() as connection:
                    _drop(connection, name)
                print(f"dropped {name} ({size / 1e6:,.0f} MB)")
            else:
                print(f"{name}  {size / 1e6:>7,.0f} MB  {'stale' if stale else 'usable'}: {builds}")
    finally:
        admin.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(cli(sys.argv[1:]))
