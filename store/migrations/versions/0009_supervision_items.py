"""Supervision items with an owner, a due date, escalation and closing (issue 16).

Revision ID: 0009
Revises: 0005
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.schema

revision = "0009"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("supervision_items") as batch:
        batch.add_column(sa.Column("owner_department", sa.String(64)))
        batch.add_column(sa.Column("assignee", sa.String(100)))
        batch.add_column(sa.Column("due_date", sa.Date))
        batch.add_column(sa.Column("source_key", sa.String(100)))
        batch.add_column(
            sa.Column("escalation_level", sa.Integer, nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("closed_at", store.schema.UTCDateTime()))
        batch.add_column(sa.Column("closed_by", sa.String(100)))
        batch.add_column(sa.Column("resolution", sa.Text))
        batch.create_unique_constraint("uq_supervision_source", ["case_id", "source_key"])
    op.create_index(
        "ix_supervision_open", "supervision_items", ["status", "owner_department", "due_date"]
    )


def downgrade() -> None:
    op.drop_index("ix_supervision_open", "supervision_items")
    with op.batch_alter_table("supervision_items") as batch:
        batch.drop_constraint("uq_supervision_source", type_="unique")
        for name in (
            "resolution",
            "closed_by",
            "closed_at",
            "escalation_level",
            "source_key",
            "due_date",
            "assignee",
            "owner_department",
        ):
            batch.drop_column(name)
