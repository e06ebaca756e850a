"""The batched row writer behind ``bench.data``: ids assigned in Python, rows buffered per table
and written parents first, with ``COPY`` on PostgreSQL and Core executemany elsewhere.

Not a benchmark (no ``main``). On PostgreSQL one thread writes the batches while the caller
generates the next ones (the server's work overlaps Python's), and, when the role may, the
session runs with ``session_replication_role = replica`` so COPY skips the per-row foreign-key
triggers (three quarters of the server's time); every foreign key of the tables written is then
checked once, set-based, at the end, so a dangling reference still fails the build.
"""

from __future__ import annotations

import queue
import threading
import time as clock
from collections.abc import Callable

from sqlalchemy import Engine, Table, func, select, text

_DONE = object()


class Writer:
    """Buffers rows per table and writes them in batches of ``batch`` rows, with ids it
    assigns from each table's current maximum; ``order`` lists the tables parents first."""

    def __init__(self, engine: Engine, order: list[str], batch: int):
        self.engine = engine
        self.order = order
        self.batch = batch
        self.buffers: dict[str, list[dict]] = {}
        self.tables: dict[str, Table] = {}
        self.next_ids: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        self.began = clock.monotonic()
        self.connection = engine.connect()
        self.copier = _Copier(self.connection) if engine.dialect.name == "postgresql" else None

    def next_id(self, model) -> int:
        table: Table = model.__table__
        name = table.name
        if name not in self.next_ids:
            # Read before any row of this table is queued: the copier holds self.connection.
            with self.engine.connect() as connection:
                top = connection.execute(select(func.max(table.c.id))).scalar()
            self.next_ids[name] = (top or 0) + 1
            self.tables[name] = table
        value = self.next_ids[name]
        self.next_ids[name] += 1
        return value

    def add(self, model, **row) -> int:
        if "id" not in row and "id" in model.__table__.c:
            row["id"] = self.next_id(model)
        name = model.__table__.name
        self.tables[name] = model.__table__
        self.buffers.setdefault(name, []).append(row)
        if len(self.buffers[name]) >= self.batch:
            self.flush(name)
        return row.get("id", 0)

    def flush(self, name: str | None = None) -> None:
        # Parents before children, so foreign keys hold batch by batch.
        for table_name in [name] if name else self.order:
            rows = self.buffers.get(table_name)
            if not rows:
                continue
            if name is not None:
                for parent in self.order[: self.order.index(table_name)]:
                    if self.buffers.get(parent):
                        self.flush(parent)
            table = self.tables[table_name]
            if self.copier is not None:
                self.copier.submit(table, rows)
            else:
                # executemany needs the same keys in every row: an absent value is a NULL.
                keys = {key for row in rows for key in row}
                rows = [{key: row.get(key) for key in keys} for row in rows]
                with self.connection.begin():
                    self.connection.execute(table.insert(), rows)
            self.counts[table_name] = self.counts.get(table_name, 0) + len(rows)
            self.buffers[table_name] = []

    def finish(self) -> None:
        """Write what is buffered, wait for the copier, set the sequences past the ids used."""
        try:
            self.flush()
            if self.copier is None:
                return
            self.copier.close()
            with self.connection.begin():
                if self.copier.replica:
                    _check_foreign_keys(self.connection, list(self.tables.values()))
                for name in self.tables:
                    self.connection.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                            f"(SELECT coalesce(max(id), 1) FROM {name}))"
                        )
                    )
        finally:
            if self.copier is not None and self.copier.replica:
                # Failed half way: never hand a trigger-skipping session back to the pool.
                self.connection.invalidate()
            self.connection.close()


class _Copier:
    """One thread that COPYs each submitted batch in its own transaction, in submission order
    (so parents still land before children). At most a few batches wait, bounding memory."""

    def __init__(self, connection):
        self.connection = connection
        self.replica = _replica_allowed(connection)
        if self.replica:
            connection.exec_driver_sql("SET session_replication_role = replica")
        connection.commit()
        self.queue: queue.Queue = queue.Queue(maxsize=4)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="bench-copy", daemon=True)
        self.thread.start()

    def submit(self, table: Table, rows: list[dict]) -> None:
        while True:
            self._raise()
            try:
                self.queue.put((table, rows), timeout=1)
                return
            except queue.Full:
                continue

    def close(self) -> None:
        if self.thread.is_alive():
            if self.error is None:
                self.queue.put(_DONE)
            self.thread.join()
        self._raise()
        if self.replica:
            self.connection.exec_driver_sql("SET session_replication_role = origin")
            self.connection.commit()
            self.replica = False

    def _raise(self) -> None:
        if self.error is not None:
            error, self.error = self.error, None
            raise RuntimeError("bench data: COPY failed") from error

    def _run(self) -> None:
        try:
            while (item := self.queue.get()) is not _DONE:
                with self.connection.begin():
                    copy_rows(self.connection, *item)
        except BaseException as error:  # noqa: BLE001 - handed to the generating thread
            self.error = error
            # Unblock a generator waiting on a full queue; it sees the error next.
            while not self.queue.empty():
                self.queue.get_nowait()


def _replica_allowed(connection) -> bool:
    """Whether COPY may skip triggers: a superuser, and no triggers but the foreign keys' own
    (a trigger of the schema's own would then not fire, and the rows would differ)."""
    superuser = connection.exec_driver_sql("SHOW is_superuser").scalar() == "on"
    triggers = connection.exec_driver_sql(
        "SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal"
    ).scalar()
    return superuser and not triggers


def _check_foreign_keys(connection, tables: list[Table]) -> None:
    """Every foreign key of ``tables`` holds (what the skipped triggers would have checked)."""
    for table in tables:
        for key in table.foreign_keys:
            child, parent = key.parent, key.column
            dangling = connection.exec_driver_sql(
                f'SELECT count(*) FROM "{table.name}" c WHERE c."{child.name}" IS NOT NULL '
                f'AND NOT EXISTS (SELECT 1 FROM "{parent.table.name}" p '
                f'WHERE p."{parent.name}" = c."{child.name}")'
            ).scalar()
            if dangling:
                raise RuntimeError(
                    f"bench data: {dangling} {table.name}.{child.name} without their "
                    f"{parent.table.name}.{parent.name}"
                )


def copy_rows(connection, table: Table, rows: list[dict]) -> None:
    """COPY ``rows`` into ``table`` as executemany would have inserted them: a key absent from
    a row is a NULL, a column absent from every row gets its Python-side default, and values
    pass through the column types' bind processing (UTCDateTime's check and conversion)."""
    dialect = connection.dialect
    keys = {key for row in rows for key in row}
    columns = [column for column in table.columns if column.key in keys]
    makers = [_processor(column, dialect) for column in columns]
    for column in table.columns:
        default = column.default
        if column.key in keys or default is None or default.is_sequence:
            continue
        if default.is_scalar:
            makers.append(_processor(column, dialect, lambda value=default.arg: value))
        elif default.is_callable:
            makers.append(_processor(column, dialect, lambda arg=default.arg: arg(None)))
        else:
            raise ValueError(f"{table.name}.{column.name}: a SQL default COPY cannot apply")
        columns.append(column)
    names = ", ".join(f'"{column.name}"' for column in columns)
    cursor = connection.connection.driver_connection.cursor()
    with cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([make(row) for make in makers])


def _processor(column, dialect, default=None) -> Callable[[dict], object]:
    """row -> the value COPY writes for ``column`` (from the row, or its default)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    key = column.key
    if default is not None:
        return (lambda _row: process(default())) if process else (lambda _row: default())
    return (lambda row: process(row.get(key))) if process else (lambda row: row.get(key))
