"""The baselines of ``bench.staff_pages``: bare SQL (PostgreSQL) fetching the rows each staff page
shows, with nothing else: no ORM, no flags, no rendering, no audit. Not a benchmark (no
``main``). Each entry is a list of statements run one after the other on one connection.
"""

from __future__ import annotations

from sqlalchemy import text

from bench.billing_month import BASELINE_SQL as BILLING_SQL

OPEN = "('enrolled', 'active', 'relapse_prevention')"

# Every open episode of the clinic (or of one care manager) with the columns a registry row
# shows: the default sort (risk, not improving, overdue, then name) needs them all, so the bare
# SQL reads them all too, then orders by name and keeps the first page.
REGISTRY = text(
    f"""
    WITH scope AS (
        SELECT e.id AS episode_id, e.patient_id
        FROM episodes e JOIN patients p ON p.id = e.patient_id
        WHERE p.clinic_id = :clinic_id AND e.status IN {OPEN}
          AND (CAST(:manager_id AS integer) IS NULL OR p.care_manager_id = :manager_id)
    ),
    scores AS (
        SELECT a.episode_id, a.instrument,
            (array_agg(a.total ORDER BY a.completed_at))[1] AS baseline,
            (array_agg(a.total ORDER BY a.completed_at DESC))[1] AS last,
            max(a.completed_at) AS last_at
        FROM assessments a JOIN scope s ON s.episode_id = a.episode_id
        WHERE a.status = 'completed' AND a.instrument IN ('PHQ-9', 'GAD-7')
        GROUP BY a.episode_id, a.instrument
    ),
    contact AS (
        SELECT c.episode_id, max(c.occurred_at) AS last_at, max(c.next_contact_at) AS next_at
        FROM contacts c JOIN scope s ON s.episode_id = c.episode_id
        GROUP BY c.episode_id
    ),
    minutes AS (
        SELECT te.patient_id, sum(te.minutes) AS minutes
        FROM time_entries te JOIN scope s ON s.patient_id = te.patient_id
        WHERE te.performed_on >= :month_start AND te.performed_on < :month_end
          AND te.superseded_by_id IS NULL
        GROUP BY te.patient_id
    )
    SELECT p.id, p.first_name, p.last_name, p.mrn, cm.full_name, e.status, e.program,
        e.started_on, phq.baseline, phq.last, phq.last_at, gad.baseline, gad.last, gad.last_at,
        contact.last_at, contact.next_at, coalesce(minutes.minutes, 0)
    FROM scope s
    JOIN episodes e ON e.id = s.episode_id
    JOIN patients p ON p.id = s.patient_id
    LEFT JOIN staff cm ON cm.id = p.care_manager_id
    LEFT JOIN scores phq ON phq.episode_id = s.episode_id AND phq.instrument = 'PHQ-9'
    LEFT JOIN scores gad ON gad.episode_id = s.episode_id AND gad.instrument = 'GAD-7'
    LEFT JOIN contact ON contact.episode_id = s.episode_id
    LEFT JOIN minutes ON minutes.patient_id = s.patient_id
    ORDER BY p.last_name, p.first_name
    LIMIT 250
    """
)

# The open items of the clinic (urgent first, oldest first); then, for their patients, the last
# three texts and the last PHQ-9 and GAD-7 (see ``queue``).
QUEUE_ITEMS = text(
    """
    SELECT q.id, q.patient_id, q.kind, q.priority, q.status, q.reason, q.opened_at,
        q.claimed_by_id, p.first_name, p.last_name, p.mrn
    FROM queue_items q LEFT JOIN patients p ON p.id = q.patient_id
    WHERE q.clinic_id = :clinic_id AND q.status <> 'closed'
    ORDER BY q.priority = 'urgent' DESC, q.opened_at, q.id
    LIMIT 500
    """
)
QUEUE_TEXTS = text(
    """
    SELECT * FROM (
        SELECT m.patient_id, m.direction, m.body, m.created_at, m.status,
            row_number() OVER (PARTITION BY m.patient_id ORDER BY m.created_at DESC) AS rn
        FROM messages m WHERE m.patient_id = ANY(:ids)
    ) ranked WHERE rn <= 3
    """
)
QUEUE_SCORES = text(
    """
    SELECT * FROM (
        SELECT a.patient_id, a.instrument, a.total, a.completed_at,
            row_number() OVER (PARTITION BY a.patient_id, a.instrument
                               ORDER BY a.completed_at DESC) AS rn
        FROM assessments a
        WHERE a.patient_id = ANY(:ids) AND a.instrument IN ('PHQ-9', 'GAD-7')
          AND a.status = 'completed'
    ) ranked WHERE rn = 1
    """
)


def queue(connection, params: dict) -> int:
    """The queue's rows: the items, then their patients' last texts and scores."""
    items = connection.execute(QUEUE_ITEMS, {"clinic_id": params["clinic_id"]}).all()
    ids = sorted({row.patient_id for row in items if row.patient_id is not None})
    texts = connection.execute(QUEUE_TEXTS, {"ids": ids}).all()
    scores = connection.execute(QUEUE_SCORES, {"ids": ids}).all()
    return len(items) + len(texts) + len(scores)


QUEUE = [queue]

# One patient's record as the chart shows it.
CHART = [
    text(
        """
        SELECT p.*, c.name, cm.full_name, tc.full_name FROM patients p
        JOIN clinics c ON c.id = p.clinic_id
        LEFT JOIN staff cm ON cm.id = p.care_manager_id
        LEFT JOIN staff tc ON tc.id = p.treating_clinician_id
        WHERE p.id = :patient_id
        """
    ),
    text("SELECT * FROM episodes WHERE patient_id = :patient_id ORDER BY started_on DESC"),
    text(
        """
        SELECT a.*, aa.item_number, aa.value FROM assessments a
        LEFT JOIN assessment_answers aa ON aa.assessment_id = a.id
        WHERE a.patient_id = :patient_id ORDER BY a.started_at DESC, aa.item_number
        """
    ),
    text(
        "SELECT * FROM messages WHERE patient_id = :patient_id "
        "ORDER BY created_at DESC, id DESC LIMIT 50"
    ),
    text(
        "SELECT c.*, s.full_name FROM contacts c JOIN staff s ON s.id = c.staff_id "
        "WHERE c.patient_id = :patient_id ORDER BY c.occurred_at DESC"
    ),
    text(
        "SELECT cp.* FROM care_plans cp JOIN episodes e ON e.id = cp.episode_id "
        "WHERE e.patient_id = :patient_id ORDER BY cp.version"
    ),
    text(
        "SELECT * FROM time_entries WHERE patient_id = :patient_id "
        "AND performed_on >= :month_start AND superseded_by_id IS NULL"
    ),
    text("SELECT * FROM queue_items WHERE patient_id = :patient_id AND status <> 'closed'"),
    text("SELECT * FROM referrals WHERE patient_id = :patient_id"),
]

BILLING = [BILLING_SQL]


def run_all(connection, statements, params: dict) -> int:
    """Run ``statements`` in order; how many rows they returned in all."""
    rows = 0
    for statement in statements if isinstance(statements, list) else [statements]:
        if callable(statement):
            rows += statement(connection, params)
            continue
        wanted = {k: v for k, v in params.items() if f":{k}" in str(statement)}
        rows += len(connection.execute(statement, wanted).all())
    return rows
