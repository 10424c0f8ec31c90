"""The relay's retry state: attempts, next attempt, last error, parked, discarded.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.schema

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("next_attempt_at", store.schema.UTCDateTime()))
        batch.add_column(sa.Column("last_error", sa.Text))
        batch.add_column(sa.Column("parked_at", store.schema.UTCDateTime()))
        batch.add_column(sa.Column("discarded_at", store.schema.UTCDateTime()))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        for name in ("discarded_at", "parked_at", "last_error", "next_attempt_at", "attempts"):
            batch.drop_column(name)
