"""How many SQL statements the webhook sends for a reply (bench/inbound.py measures the speed).

Every Twilio webhook pays one round trip per statement, so the usual reply (an answer in the
middle of a check-in) is held to what it must do: route it (replay check, clinic and patient in
one query), lock the conversation (its assessment with it), store the text with its reply, store
the answer, save the conversation's state. Transaction control is not counted (in the test suite
the commit is a SAVEPOINT release).
"""

from __future__ import annotations

from collections.abc import Callable

from freezegun import freeze_time
from sqlalchemy import event

from cocm import db
from tests.patient_app.twilio.helpers import T0, Phone, messages, new_sid, start

_DATA = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


def _statements(send: Callable[[], object]) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        if statement.lstrip().split(None, 1)[0].upper() in _DATA:
            seen.append(statement)

    bind = db.Session().get_bind()
    engine = bind.engine if hasattr(bind, "engine") else bind
    event.listen(engine, "before_cursor_execute", record)
    try:
        send()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


@freeze_time(T0)
def test_an_answer_mid_checkin_takes_five_statements_on_postgresql(world, phone: Phone):
    start(world)
    assert phone.text("1")[0].startswith("(2/9)")

    statements = _statements(lambda: phone.text("2"))

    first_words = [" ".join(statement.split()[:3]) for statement in statements]
    stores = first_words.count("INSERT INTO messages")
    # PostgreSQL takes the text and its reply in one INSERT (insertmanyvalues with RETURNING);
    # SQLite gets one INSERT a row.
    assert stores == (1 if db.get_engine().dialect.name == "postgresql" else 2)
    assert [word.split()[0] for word in first_words if word != "INSERT INTO messages"] == [
        "SELECT",  # route: replay check, clinic, patient
        "SELECT",  # the open conversation, locked, with its assessment
        "INSERT",  # the answer (an upsert)
        "UPDATE",  # the conversation's state
    ], "\n".join(statements)
    # The text and its reply are stored together, with the TwiML kept for replays.
    inbound, reply = messages(world.patient_id)[-2:]
    assert inbound.direction == "inbound" and inbound.reply_twiml.count("<Message>") == 1
    assert reply.direction == "outbound" and reply.body.startswith("(3/9)")


@freeze_time(T0)
def test_a_replay_takes_two_statements_and_stores_nothing(world, phone: Phone):
    start(world)
    sid = new_sid()
    first = phone.text("1", sid=sid)
    stored = len(messages(world.patient_id))

    statements = _statements(lambda: phone.text("1", sid=sid))

    assert len(statements) == 2, "\n".join(statements)  # route, then the earlier message
    assert phone.text("1", sid=sid) == first
    assert len(messages(world.patient_id)) == stored
