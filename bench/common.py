"""Helpers shared by the benchmark scripts: their databases, Redis, timing, statement counts,
peak memory of a process, the figures each script returns and the machine they ran on.

Not a benchmark (no ``main``). Every script builds what it measures in databases of its own,
named after ``DATABASE_URL`` (default ``postgresql://postgres@127.0.0.1:5432/cocm_bench``) plus
a suffix, and drops them at the end; Redis is ``BENCH_REDIS_URL`` (default
``redis://127.0.0.1:6379/12``), flushed before and after use.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/cocm_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/12"
RUNS = 5
ROOT = Path(__file__).resolve().parent.parent


def database_url(suffix: str = "") -> str:
    """``DATABASE_URL`` (or the default), its database name followed by ``_suffix``."""
    url = make_url(os.environ.get("DATABASE_URL", DEFAULT_URL))
    if suffix and url.get_backend_name() == "postgresql":
        url = url.set(database=f"{url.database}_{suffix}")
    return url.render_as_string(hide_password=False)


def redis_url() -> str:
    return os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)


def keep() -> bool:
    return os.environ.get("BENCH_KEEP") == "1"


def release(engine, url: str, drop: Callable[[], None], redis=None) -> None:
    """The end of a script that served the product on its own database: close the sessions and
    the engine, flush its Redis database, forget the settings, then drop the database (or say
    where it is kept, with BENCH_KEEP=1)."""
    from cocm import db
    from cocm.config import use_settings

    db.Session.remove()
    engine.dispose()
    if redis is not None:
        redis.flushdb()
    use_settings(None)
    if keep():
        print(f"  kept the database: {make_url(url).render_as_string(hide_password=True)}")
    else:
        drop()


PUBLIC_BASE_URL = "https://cocm.example.org"
AUTH_TOKEN = "bench-auth-token"


def product_environment(url: str) -> dict[str, str]:
    """A production-like environment for the apps and workers under test: PostgreSQL, the Redis
    server, the recording SMS sender (nothing leaves the machine), warnings only in the logs."""
    return {
        **os.environ,
        "COCM_ENV": "production",
        "DATABASE_URL": url,
        "REDIS_URL": redis_url(),
        "SECRET_KEY": "bench-secret-key-0123456789abcdef",
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "SMS_TRANSPORT": "recording",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }


def window_zone(now) -> str:
    """A fixed-offset zone whose clock reads about 14:00 at ``now``, so the texting window is
    open whatever hour a benchmark runs."""
    offset = (14 - now.hour + 12) % 24 - 12
    # The Etc/GMT names carry the sign reversed: Etc/GMT-3 is UTC+3.
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def fresh_database(url: str) -> tuple[str, Callable[[], None]]:
    """Create an empty database at ``url`` (dropping it first); return the URL to use and a
    function that drops it again. SQLite URLs get a fresh file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "bench.sqlite3")

        def remove() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

        remove()
        return url, remove
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    name = parsed.database
    if not name or name in ("postgres", "template0", "template1"):
        raise SystemExit(f"refusing to use database {name!r} for a benchmark")
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return parsed.render_as_string(hide_password=False), drop


def migrate(engine) -> None:
    from alembic import command

    from cocm.migrate import alembic_config

    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")


class StatementCounter:
    """Counts the statements sent to an engine while active: queries only, or every
    statement with ``queries_only=False``."""

    def __init__(self, engine, queries_only: bool = True):
        self.engine = engine
        self.queries_only = queries_only
        self.statements: list[str] = []

    def _seen(self, _conn, _cursor, statement, *_args) -> None:
        # Queries only: SQLite's BEGIN IMMEDIATE (cocm.db) is transaction control.
        if not self.queries_only or statement.split(None, 1)[0].upper() in ("SELECT", "WITH"):
            self.statements.append(statement)

    def __enter__(self):
        self.statements = []
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def timed(call: Callable[[], object], runs: int = RUNS) -> tuple[float, object]:
    """The median wall time of ``runs`` calls after one warm-up call, and the last result."""
    result = call()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - began)
    return statistics.median(times), result


def percentile(values: list[float], share: float) -> float:
    """The ``share`` (0-1) percentile of ``values``, nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


# -- peak memory ---------------------------------------------------------------------------------


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident memory so far (VmHWM), in MB; None once it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (Linux /proc), e.g. a gunicorn master's workers."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def wait_with_peaks(processes: list[subprocess.Popen], timeout: float) -> list[float]:
    """Wait for ``processes`` (at most ``timeout`` seconds, then kill what still runs) and return
    the peak resident memory of each in MB, read from VmHWM while they run. (Not wait4's
    ru_maxrss: Linux counts the parent's size at fork into an exec'd child's maximum.)"""
    deadline = time.monotonic() + timeout
    peaks = [0.0] * len(processes)
    while any(p.poll() is None for p in processes):
        for index, process in enumerate(processes):
            peaks[index] = max(peaks[index], peak_rss_mb(process.pid) or 0.0)
        if time.monotonic() > deadline:
            for process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait(10)
            break
        time.sleep(0.1)
    return peaks


# -- figures -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One measured figure with its goal: ``ok`` is None when there is no goal to meet."""

    script: str
    measure: str
    value: str
    goal: str = ""
    ok: bool | None = None

    @property
    def verdict(self) -> str:
        return {True: "met", False: "MISSED", None: ""}[self.ok]


def show(figure: Figure) -> Figure:
    """Print one figure with its goal beside it (as it is measured) and return it."""
    goal = f"   goal {figure.goal}: {figure.verdict}" if figure.goal else ""
    print(f"  {figure.measure}: {figure.value}{goal}", flush=True)
    return figure


def markdown_table(figures: list[Figure]) -> str:
    lines = ["| script | measure | value | goal | |", "|---|---|---|---|---|"]
    for f in figures:
        cells = [f.script, f.measure, f.value, f.goal or "—", f.verdict]
        lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(lines)


def summary(script: str, figures: list[Figure]) -> str:
    """The one line a script ends with: how many goals it met."""
    goals = [f for f in figures if f.ok is not None]
    missed = [f.measure for f in goals if not f.ok]
    met = len(goals) - len(missed)
    line = f"{script}: {met}/{len(goals)} goals met"
    return line + (f"; missed: {', '.join(missed)}" if missed else "")


def run_main(script: str, run: Callable[[list[str]], list[Figure]], argv: list[str]) -> int:
    """``main()`` of a script: run it, print its table and its one-line summary."""
    figures = run(argv)
    print()
    print(markdown_table(figures))
    print(summary(script, figures))
    return 0


# -- the machine ---------------------------------------------------------------------------------


def _first(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""


def machine() -> dict[str, str]:
    """Where the figures were measured: CPUs, RAM, CPU model, PostgreSQL and Redis versions."""
    info = {"cpus (nproc)": str(os.cpu_count())}
    try:
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        total_kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
        info["RAM"] = f"{total_kb / 1024 / 1024:.1f} GB"
    except (OSError, StopIteration):
        info["RAM"] = "unknown"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
        info["CPU"] = next(
            line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")
        )
    except (OSError, StopIteration):
        info["CPU"] = platform.processor() or "unknown"
    info["PostgreSQL"] = _server_version()
    try:
        from redis import Redis

        info["Redis"] = Redis.from_url(redis_url(), socket_timeout=2).info("server")[
            "redis_version"
        ]
    except Exception:  # noqa: BLE001 - a description, never a reason to fail
        info["Redis"] = "unreachable"
    info["Python"] = platform.python_version()
    info["load average at the end"] = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return info


def _server_version() -> str:
    url = make_url(database_url())
    if url.get_backend_name() != "postgresql":
        return f"not used ({url.get_backend_name()})"
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    engine = create_engine(url.set(database="postgres"))
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar())
    except Exception:  # noqa: BLE001 - as above
        return "unreachable"
    finally:
        engine.dispose()


def machine_markdown() -> str:
    return "\n".join(f"- {key}: {value}" for key, value in machine().items())
