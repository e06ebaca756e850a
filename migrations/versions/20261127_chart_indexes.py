"""chart indexes: a person's audit events by time

The chart's timer panel looks for the viewer's running timer among their audit events of the
last twelve hours. Every chart view adds an audit event for the viewer, so by staff alone that
lookup reads the person's whole history (about 120 ms at 20,000 events); by staff and time it
reads only the last twelve hours.

Revision ID: 20261127_chart_indexes
Revises: 20261127_api_idempotency
Create Date: 2026-11-27 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261127_chart_indexes"
down_revision: str | None = "20261127_api_idempotency"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_audit_events_staff_time", "audit_events", ["staff_id", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_staff_time", table_name="audit_events")
