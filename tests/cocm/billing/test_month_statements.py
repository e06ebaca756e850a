"""The billing month and the worklist are set-based: the statement count does not grow with
the number of patients."""

from datetime import date

from sqlalchemy import event

from cocm.billing import billing_month, month_end_worklist


def _fill(builder, patients: int) -> None:
    """Patients with the awkward cases mixed in: shared contacts, consultant time, entries
    without an episode, superseded entries, BHI, an old closed episode."""
    for n in range(patients):
        patient = builder.patient(last=f"P{n:03d}")
        if n % 4 == 0:
            old = builder.episode(
                patient, date(2024, 1, 8), status="completed", ended_on=date(2024, 6, 28)
            )
            builder.time(old, date(2024, 2, 5), 40)
        episode = builder.episode(
            patient, date(2026, 1, 5), program="bhi" if n % 5 == 0 else "cocm"
        )
        builder.time(episode, date(2026, 2, 3), 20 + n % 30)
        call = builder.contact(episode, date(2026, 3, 4))
        builder.time(episode, date(2026, 3, 4), 10 + n % 40, contact=call)
        builder.time(episode, date(2026, 3, 4), 10, role="treating_clinician", contact=call)
        builder.time(episode, date(2026, 3, 12), 15, role="psychiatric_consultant")
        builder.time(episode, date(2026, 3, 18), 7, link_episode=False)
        wrong = builder.time(episode, date(2026, 3, 19), 60)
        wrong.superseded_by_id = builder.time(episode, date(2026, 3, 19), 6).id
    builder.session.flush()


def _statements(session, call) -> tuple[list[str], object]:
    connection = session.connection()
    seen: list[str] = []

    def count(_conn, _cursor, statement, _params, _context, _executemany):
        seen.append(statement)

    event.listen(connection, "before_cursor_execute", count)
    try:
        result = call()
    finally:
        event.remove(connection, "before_cursor_execute", count)
    return seen, result


def test_the_statement_count_is_the_same_for_5_and_50_patients(make_clinic, session):
    small, large = make_clinic(), make_clinic()
    _fill(small, 5)
    _fill(large, 50)

    def month(builder):
        return lambda: billing_month(session, builder.clinic.id, 2026, 3, today=date(2026, 4, 1))

    small_statements, small_rows = _statements(session, month(small))
    large_statements, large_rows = _statements(session, month(large))
    assert len(small_rows) == 5 and len(large_rows) == 50
    # The clinic, the episodes with their minutes, the six-month rule. Nothing is written.
    queries = large_statements
    assert len(small_statements) == len(large_statements) == 3
    assert all(s.lstrip().upper().startswith(("SELECT", "WITH")) for s in queries)
    # The figures are right too: contact max(10 + n % 40, 10) + 7 + 6 for patient n.
    for n, row in enumerate(large_rows):
        assert row.minutes == max(10 + n % 40, 10) + 7 + 6, row.patient_name
        assert row.consultant_minutes == 15
        assert row.month_kind == "later"

    def worklist(builder):
        return lambda: month_end_worklist(session, builder.clinic.id, date(2026, 3, 20))

    small_statements, small_items = _statements(session, worklist(small))
    large_statements, large_items = _statements(session, worklist(large))
    assert len(small_statements) == len(large_statements)
    assert large_items and len(large_items) > len(small_items)
