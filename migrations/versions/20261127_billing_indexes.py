"""billing indexes: time entries by day, and by episode and day

The billing month reads one month of time entries; by day it reads that month, not every entry
ever logged (the table grows by a month of entries every month). Whether an episode had
countable minutes before the month is one probe per episode; by episode and day that probe
stops at the first entry before the month.

Revision ID: 20261127_billing_indexes
Revises: 20261127_chart_indexes
Create Date: 2026-11-27 14:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "20261127_billing_indexes"
down_revision: str | None = "20261127_chart_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_time_entries_day", "time_entries", ["performed_on"])
    op.create_index("ix_time_entries_episode_day", "time_entries", ["episode_id", "performed_on"])


def downgrade() -> None:
    op.drop_index("ix_time_entries_episode_day", table_name="time_entries")
    op.drop_index("ix_time_entries_day", table_name="time_entries")
