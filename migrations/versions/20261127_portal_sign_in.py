"""portal sign-in: one-time codes and rate-limit attempts

Revision ID: 20261127_portal_sign_in
Revises: 20261127_initial_schema
Create Date: 2026-11-27 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import cocm.db

revision: str = "20261127_portal_sign_in"
down_revision: str | None = "20261127_initial_schema"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("scope", sa.String(length=8), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", cocm.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "action IN ('code_request', 'code_check', 'link_check')",
            name=op.f("ck_portal_attempts_action_valid"),
        ),
        sa.CheckConstraint(
            "scope IN ('number', 'address')", name=op.f("ck_portal_attempts_scope_valid")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_attempts")),
    )
    with op.batch_alter_table("portal_attempts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_portal_attempts_lookup",
            ["action", "scope", "key_hash", "occurred_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_portal_attempts_occurred_at"), ["occurred_at"], unique=False
        )

    op.create_table(
        "portal_sign_in_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket", sa.String(length=43), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", cocm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", cocm.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", cocm.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("requested_from", sa.String(length=64), nullable=True),
        sa.CheckConstraint(
            "attempts >= 0", name=op.f("ck_portal_sign_in_codes_attempts_nonnegative")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"],
            ["patients.id"],
            name=op.f("fk_portal_sign_in_codes_patient_id_patients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_sign_in_codes")),
        sa.UniqueConstraint("ticket", name=op.f("uq_portal_sign_in_codes_ticket")),
    )
    with op.batch_alter_table("portal_sign_in_codes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_portal_sign_in_codes_patient_id"), ["patient_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("portal_sign_in_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_sign_in_codes_patient_id"))

    op.drop_table("portal_sign_in_codes")
    with op.batch_alter_table("portal_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_portal_attempts_occurred_at"))
        batch_op.drop_index("ix_portal_attempts_lookup")

    op.drop_table("portal_attempts")
