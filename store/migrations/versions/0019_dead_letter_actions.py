"""Dead letters discarded by an operator, and every operator action on a dead letter.

`dead_letters.discarded_at`: an operator gave up on it (a record that can never apply, e.g.
unsigned or malformed); it leaves the pending list and its case's stalled reasons.
`dead_letter_actions`: each re-drive or discard (who, role, reason, result), also for dead
letters with no case to record it on.

Revision ID: 0019
Revises: 0016b
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.schema

revision = "0019"
down_revision = "0016b"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dead_letters") as batch:
        batch.add_column(sa.Column("discarded_at", store.schema.UTCDateTime()))
    op.create_table(
        "dead_letter_actions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("dead_letter_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.String(64)),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("result", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", store.schema.UTCDateTime(), nullable=False),
    )
    op.create_index("ix_dead_letter_actions_letter", "dead_letter_actions", ["dead_letter_id"])


def downgrade() -> None:
    op.drop_index("ix_dead_letter_actions_letter", table_name="dead_letter_actions")
    op.drop_table("dead_letter_actions")
    with op.batch_alter_table("dead_letters") as batch:
        batch.drop_column("discarded_at")
