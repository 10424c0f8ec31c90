"""Signed department decisions: the registry of department public keys, the signature kept
with each decision from Kafka, and a dead letter's Kafka headers (re-drive checks the
signature again).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.schema

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "department_keys",
        sa.Column("key_id", sa.String(64), primary_key=True),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("created_at", store.schema.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("revoked_at", store.schema.UTCDateTime()),
        sa.Column("revoked_reason", sa.Text),
    )
    op.create_index("ix_department_keys_department", "department_keys", ["department"])
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("key_id", sa.String(64)))
        batch.add_column(sa.Column("signature", sa.String(100)))
        batch.add_column(sa.Column("signed_record", sa.Text))
    with op.batch_alter_table("dead_letters") as batch:
        batch.add_column(sa.Column("headers", store.schema.JSON))


def downgrade() -> None:
    with op.batch_alter_table("dead_letters") as batch:
        batch.drop_column("headers")
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("signed_record")
        batch.drop_column("signature")
        batch.drop_column("key_id")
    op.drop_index("ix_department_keys_department", "department_keys")
    op.drop_table("department_keys")
