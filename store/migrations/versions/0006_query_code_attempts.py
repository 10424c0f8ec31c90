"""Wrong query codes counted in the database per (case, source), shared by every API process
and kept across restarts (was a per-process dict).

Revision ID: 0006
Revises: 0010
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.schema

revision = "0006"
down_revision = "0010"  # main already has 0005→0009→0010 on 0004; the coordinator re-chains
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "query_code_attempts",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("window_start", store.schema.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("query_code_attempts")
