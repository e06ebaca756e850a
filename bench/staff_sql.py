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

# One patient's record as the chart shows it: the columns each part shows, the staff names
# joined in. The header (patient, clinic, care team, last consent event) and the episodes are
# one statement each; the care plans are those of the episode shown (the open one, else the
# latest); the time log covers the chart's window (from the first of last month, corrections
# included: ``start`` is that day); the recommendations feed the case-review trail. The
# header's scores, contact dates and minutes are computed from these same rows, so no
# aggregate query is added for them.
CHART = [
    text(
        """
        SELECT p.id, p.first_name, p.last_name, p.mrn, p.date_of_birth, p.phone_e164,
            p.language, p.timezone, p.sms_opted_out, p.sms_consent_at, p.phone_problem,
            c.name, c.timezone, cm.full_name, tc.full_name,
            ce.kind, ce.source, ce.occurred_at
        FROM patients p
        JOIN clinics c ON c.id = p.clinic_id
        LEFT JOIN staff cm ON cm.id = p.care_manager_id
        LEFT JOIN staff tc ON tc.id = p.treating_clinician_id
        LEFT JOIN consent_events ce ON ce.id = (
            SELECT id FROM consent_events WHERE patient_id = p.id
            ORDER BY occurred_at DESC, id DESC LIMIT 1)
        WHERE p.id = :patient_id
        """
    ),
    text(
        "SELECT id, status, program, started_on, ended_on, consent_on, consent_method, "
        "end_reason, reentry_note FROM episodes WHERE patient_id = :patient_id "
        "ORDER BY started_on DESC, id DESC"
    ),
    text(
        """
        SELECT a.id, a.episode_id, a.instrument, a.channel, a.status, a.total, a.severity,
            a.started_at, a.completed_at, aa.item_number, aa.value
        FROM assessments a LEFT JOIN assessment_answers aa ON aa.assessment_id = a.id
        WHERE a.patient_id = :patient_id ORDER BY a.started_at DESC, a.id DESC
        """
    ),
    text(
        "SELECT direction, body, status, error_code, created_at FROM messages "
        "WHERE patient_id = :patient_id ORDER BY created_at DESC, id DESC LIMIT 50"
    ),
    text(
        """
        SELECT c.occurred_at, c.kind, c.template, c.outcome, c.minutes, c.note,
            c.next_contact_at, c.next_action, s.full_name
        FROM contacts c JOIN staff s ON s.id = c.staff_id
        WHERE c.patient_id = :patient_id ORDER BY c.occurred_at DESC, c.id DESC
        """
    ),
    text(
        f"""
        SELECT cp.id, cp.version, cp.goals, cp.medications, cp.skill_plan, cp.follow_up,
            cp.safety_steps, cp.change_summary, cp.created_at, cp.signed_at,
            author.full_name, signer.full_name
        FROM care_plans cp
        JOIN staff author ON author.id = cp.created_by_id
        LEFT JOIN staff signer ON signer.id = cp.signed_by_id
        WHERE cp.episode_id = (
            SELECT id FROM episodes WHERE patient_id = :patient_id
            ORDER BY status IN {OPEN} DESC, started_on DESC, id DESC LIMIT 1)
        ORDER BY cp.version
        """
    ),
    text(
        """
        SELECT te.id, te.performed_on, te.role, te.activity, te.minutes, te.note, te.contact_id,
            te.started_at, te.ended_at, te.superseded_by_id, te.correction_reason,
            te.created_at, te.staff_id, s.full_name
        FROM time_entries te JOIN staff s ON s.id = te.staff_id
        WHERE te.patient_id = :patient_id AND te.performed_on >= :start
        ORDER BY te.performed_on DESC, te.id DESC
        """
    ),
    text(
        """
        SELECT q.id, q.kind, q.priority, q.reason, q.opened_at, s.full_name
        FROM queue_items q LEFT JOIN staff s ON s.id = q.claimed_by_id
        WHERE q.patient_id = :patient_id AND q.status <> 'closed'
        ORDER BY q.priority = 'urgent' DESC, q.opened_at
        """
    ),
    text(
        "SELECT kind, to_whom, status, note, due_by, scheduled_on, seen_on FROM referrals "
        "WHERE patient_id = :patient_id ORDER BY created_at DESC, id DESC"
    ),
    text(
        "SELECT * FROM recommendations WHERE patient_id = :patient_id "
        "ORDER BY created_at DESC, id DESC"
    ),
]

# The billing month page: its totals cover the whole month, so every patient's minutes are
# summed (BILLING_SQL, the least any billing report reads); then the page's rows, the first
# hundred by name with each patient's episode, care manager and minutes.
BILLING_PAGE = text(
    f"""
    WITH minutes AS (
        SELECT te.patient_id, sum(te.minutes) AS minutes
        FROM time_entries te JOIN patients p ON p.id = te.patient_id
        WHERE p.clinic_id = :clinic_id
          AND te.performed_on >= :start AND te.performed_on < :end
          AND te.superseded_by_id IS NULL
        GROUP BY te.patient_id
    )
    SELECT p.id, p.first_name, p.last_name, p.mrn, cm.full_name, e.id, e.program, e.status,
        e.started_on, e.ended_on, e.consent_on, e.initiating_visit_on, m.minutes
    FROM minutes m
    JOIN patients p ON p.id = m.patient_id
    JOIN episodes e ON e.patient_id = p.id AND e.status IN {OPEN}
    LEFT JOIN staff cm ON cm.id = p.care_manager_id
    ORDER BY p.last_name, p.first_name, p.id
    LIMIT 100
    """
)
BILLING = [BILLING_SQL, BILLING_PAGE]


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
