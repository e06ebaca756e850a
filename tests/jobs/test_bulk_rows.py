"""``cocm.cadence.bulk.insert_rows`` writes exactly the values given, whatever they hold: on
PostgreSQL each column travels as one joined string, or as an array when a value could be
mistaken for the separator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from cocm.cadence import bulk
from cocm.models import Message
from tests.factories import ClinicFactory, PatientFactory

NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "bodies",
    [
        ['Say "yes", or {no}', "back\\slash, 'quote' and ñ", "", "NULL", "x"],
        ["a\x1fb", "c"],  # the separator itself: the column goes as an array instead
        ["", "d\x1e"],  # the NULL mark
    ],
    ids=["quoting", "separator", "null-mark"],
)
def test_insert_rows_writes_the_values_given(session, bodies):
    patient = PatientFactory(clinic=ClinicFactory())
    rows = [
        dict(
            direction="outbound",
            patient_id=patient.id,
            clinic_id=patient.clinic_id,
            kind="checkin_open",
            body=body,
            from_number=None if n % 2 else f"+1500555000{n}",
            to_number=patient.phone_e164,
            status="queued",
            segments=n + 1,
            created_at=NOW + timedelta(seconds=n),
        )
        for n, body in enumerate(bodies)
    ]
    ids = bulk.insert_rows(session, Message, rows)
    found = {
        row.id: row
        for row in session.execute(
            select(
                Message.id, Message.body, Message.from_number, Message.segments, Message.created_at
            ).where(Message.id.in_(ids))
        )
    }
    assert [
        (found[i].body, found[i].from_number, found[i].segments, found[i].created_at) for i in ids
    ] == [(r["body"], r["from_number"], r["segments"], r["created_at"]) for r in rows]


def test_packing_refuses_what_it_cannot_carry():
    assert bulk._packed(["a", None, "b"]) == "a\x1f\x1e\x1fb"
    assert bulk._packed([1, 2]) == "1\x1f2"
    assert bulk._packed([""]) is None  # string_to_array('') is an empty array
    assert bulk._packed(["a\x1fb"]) is None
    assert bulk._packed(["\x1e"]) is None
    assert bulk._packed([datetime(2026, 1, 1)]) is None  # naive: no zone to send
    assert bulk._packed([1.5]) is None
