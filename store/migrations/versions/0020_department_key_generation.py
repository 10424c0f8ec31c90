"""The generation of the department keys registry: one row, bumped by every add or revoke.

Each process caches department keys (`infra.department_keys`); on SQLite it reads this counter at
most once a second to learn that the registry changed (PostgreSQL also sends a NOTIFY).

Revision ID: 0020
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "department_key_generation",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_department_key_generation_one_row"),
    )
    op.bulk_insert(table, [{"id": 1, "generation": 0}])


def downgrade() -> None:
    op.drop_table("department_key_generation")
