"""Writing thousands of rows in a handful of statements, for the check-in dispatcher.

On PostgreSQL each call is one statement whatever the number of rows: the values travel as one
string per column (``string_to_array`` makes it an array) and ``unnest`` turns them back into
rows (a multi-row ``VALUES`` of the same rows costs several times more, most of it in building
and parsing a statement with a bind parameter per value). Elsewhere (SQLite, the embedded
default, where dispatch runs are small) the same results come from portable SQLAlchemy
statements.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Integer,
    Table,
    any_,
    cast,
    func,
    insert,
    literal,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from cocm.models import MeasurementSchedule


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def among(session: Session, column: Any, ids: list[int]) -> Any:
    """``column IN ids``: on PostgreSQL one array parameter (``= ANY``), not one per id, so a
    long list costs nothing to build and parse."""
    if _postgresql(session):
        packed = _packed(list(ids))
        if packed is None:
            return column == any_(cast(literal(list(ids), ARRAY(Integer)), ARRAY(Integer)))
        # One string, split by PostgreSQL: psycopg dumps a list one element at a time.
        array = func.string_to_array(literal(packed), literal(SEPARATOR), literal(NULL_MARK))
        return column == any_(cast(array, ARRAY(Integer)))
    return column.in_(ids)


def _type(session: Session, table: Table, column: str) -> str:
    return table.c[column].type.compile(dialect=session.get_bind().dialect)


def _same(values: list) -> bool:
    return values.count(values[0]) == len(values)  # compared in C, not a Python loop


def insert_rows(session: Session, model: Any, rows: list[dict]) -> list[int]:
    """Insert ``rows`` (dicts with the same keys) into ``model``'s table; their ids, in order.

    Scalar column defaults are filled in; callable defaults are not, so pass those values.
    """
    if not rows:
        return []
    table: Table = model.__table__
    if not _postgresql(session):
        statement = insert(model).returning(model.id, sort_by_parameter_order=True)
        return list(session.scalars(statement, rows))
    defaults = {
        c.name: c.default.arg
        for c in table.c
        if c.name not in rows[0] and c.default is not None and c.default.is_scalar
    }
    values = {name: [row[name] for row in rows] for name in rows[0]}
    values.update({name: [value] for name, value in defaults.items()})
    # A column with one value for every row travels once, not once a row.
    constant = {name: column[0] for name, column in values.items() if _same(column)}
    varying = {n: c for n, c in values.items() if n not in constant}
    if not varying:  # unnest needs one array to make the rows from
        varying["n_"] = [1] * len(rows)
    params: dict[str, Any] = {"sep": SEPARATOR, "null": NULL_MARK, "table": table.name}
    selected, arrays = [], []
    for name in [*varying, *constant]:
        if name == "n_":
            params[name] = _packed(varying[name])
            arrays.append(f"CAST(string_to_array(:{name}, :sep, :null) AS INTEGER[])")
            continue
        json_column = isinstance(table.c[name].type, JSON)
        sql_type = _type(session, table, name)
        if name in varying:
            column = [json.dumps(v) for v in varying[name]] if json_column else varying[name]
            packed = _packed(column)
            if packed is None:
                params[name] = column
                arrays.append(f"CAST(:{name} AS {sql_type}[])")
            else:
                params[name] = packed
                arrays.append(f"CAST(string_to_array(:{name}, :sep, :null) AS {sql_type}[])")
            selected.append(f"r.{name}")
        else:
            params[name] = json.dumps(constant[name]) if json_column else constant[name]
            selected.append(f"CAST(:{name} AS {sql_type})")
    columns = [n for n in [*varying, *constant] if n != "n_"]
    # The ids are drawn in the same statement, one per row of ``r`` (a CTE read twice is
    # evaluated once), and come back in the rows' order (``ord_``), as one string: no reliance
    # on the order RETURNING gives rows back, and no second round trip.
    packed_ids = session.scalar(
        text(
            "WITH r AS (SELECT nextval((SELECT CAST(pg_get_serial_sequence(:table, 'id') "
            "AS regclass))) AS id, u.* "
            f"FROM unnest({', '.join(arrays)}) WITH ORDINALITY "
            f"AS u({', '.join(varying)}, ord_)), "
            f"w AS (INSERT INTO {table.name} (id, {', '.join(columns)}) "  # noqa: S608
            f"SELECT r.id, {', '.join(s for s in selected if s != 'r.n_')} FROM r) "
            "SELECT string_agg(CAST(id AS TEXT), ',' ORDER BY ord_) FROM r"
        ),
        params,
    )
    return [int(i) for i in packed_ids.split(",")]


# A column of values travels as one string, the values joined by SEPARATOR (NULL as NULL_MARK)
# and split by PostgreSQL's string_to_array: psycopg dumps a Python list as an array one element
# at a time, quoting and escaping each in Python, which cost more than the INSERT itself.
SEPARATOR, NULL_MARK = "\x1f", "\x1e"


def _packed(values: list) -> str | None:
    """``values`` as one SEPARATOR-joined string, or None when they cannot travel that way: a
    value holding either control character, a type other than str, int or aware datetime, or a
    column that joins to "" (which string_to_array reads as no element at all)."""
    present = [value for value in values if value is not None]
    kinds = {type(value) for value in present}
    if kinds <= {str}:
        texts = present
    elif kinds <= {int}:
        texts = [str(value) for value in present]
    elif kinds <= {datetime} and all(value.tzinfo is not None for value in present):
        texts = [value.isoformat() for value in present]
    else:
        return None
    if len(present) < len(values):
        it = iter(texts)
        texts = [NULL_MARK if value is None else next(it) for value in values]
    packed = SEPARATOR.join(texts)
    if not packed or packed.count(SEPARATOR) != len(values) - 1:
        return None
    if packed.count(NULL_MARK) != len(values) - len(present):
        return None
    return packed


def _array(params: dict[str, Any], name: str, values: list, sql_type: str) -> str:
    """SQL for ``values`` as a ``sql_type`` array bound as ``name`` in ``params``: one joined
    string when it can travel that way, else a list."""
    packed = _packed(values)
    if packed is None:
        params[name] = values
        return f"CAST(:{name} AS {sql_type}[])"
    params.update({name: packed, "sep": SEPARATOR, "null": NULL_MARK})
    return f"CAST(string_to_array(:{name}, :sep, :null) AS {sql_type}[])"


def claim_schedules(session: Session, claims: Sequence[tuple[int, datetime, datetime]]) -> set[int]:
    """Move each (schedule id, expected next_due_at, new next_due_at) on, only if its
    ``next_due_at`` is still the one expected (compare-and-set). The ids of the rows moved."""
    if not claims:
        return set()
    if _postgresql(session):
        # Rows locked in id order first: two dispatchers claiming overlapping sets in one
        # statement each would otherwise lock in plan order and could deadlock. The loser
        # waits here, then finds the rows moved on and claims none of them.
        params: dict[str, Any] = {}
        locked = _array(params, "ids", sorted(c[0] for c in claims), "INTEGER")
        session.execute(
            text(
                f"SELECT id FROM measurement_schedules WHERE id = ANY({locked}) "  # noqa: S608
                "ORDER BY id FOR UPDATE"
            ),
            params,
        )
        params = {}
        arrays = ", ".join(
            [
                _array(params, "ids", [c[0] for c in claims], "INTEGER"),
                _array(params, "expected", [c[1] for c in claims], "TIMESTAMPTZ"),
                _array(params, "next_due", [c[2] for c in claims], "TIMESTAMPTZ"),
            ]
        )
        found = session.scalars(
            text(
                "UPDATE measurement_schedules AS ms SET next_due_at = u.next_due "
                f"FROM unnest({arrays}) AS u(id, expected, next_due) "
                "WHERE ms.id = u.id AND ms.next_due_at = u.expected RETURNING ms.id"
            ),
            params,
        )
        return set(found)
    by_next: dict[datetime, list[tuple[int, datetime]]] = defaultdict(list)
    for schedule_id, expected, next_due in claims:
        by_next[next_due].append((schedule_id, expected))
    won: set[int] = set()
    for next_due, expected in by_next.items():
        key = tuple_(MeasurementSchedule.id, MeasurementSchedule.next_due_at)
        result = session.execute(
            update(MeasurementSchedule)
            .where(key.in_(expected))
            .values(next_due_at=next_due)
            .returning(MeasurementSchedule.id)
            .execution_options(synchronize_session=False)
        )
        won.update(result.scalars())
    return won


def mark_sent(session: Session, sent: Sequence[tuple[int, datetime]]) -> None:
    """Set ``last_sent_at`` of each (schedule id, moment)."""
    if not sent:
        return
    by_moment: dict[datetime, list[int]] = defaultdict(list)
    for schedule_id, moment in sent:
        by_moment[moment].append(schedule_id)
    if _postgresql(session):
        for moment, ids in by_moment.items():
            params = {"moment": moment}
            among_ids = _array(params, "ids", ids, "INTEGER")
            session.execute(
                text(
                    "UPDATE measurement_schedules SET last_sent_at = :moment "
                    f"WHERE id = ANY({among_ids})"
                ),
                params,
            )
        # Schedule objects this session already holds must not keep the old value.
        moments = dict(sent)
        for held in list(session.identity_map.values()):
            if isinstance(held, MeasurementSchedule) and held.id in moments:
                set_committed_value(held, "last_sent_at", moments[held.id])
        return
    for moment, ids in by_moment.items():
        session.execute(
            update(MeasurementSchedule)
            .where(MeasurementSchedule.id.in_(ids))
            .values(last_sent_at=moment)
            .execution_options(synchronize_session="evaluate")
        )
