"""Dead letters identified by their record's digest as well as its position.

A broker that lost its records hands out the same offsets again: with the position alone as
the key, a new bad record at a reused position was silently taken for a redelivery.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dead_letters") as batch:
        batch.add_column(sa.Column("raw_sha256", sa.String(64)))
        batch.drop_constraint("uq_dead_letter_source", type_="unique")
        batch.create_unique_constraint(
            "uq_dead_letter_record", ["source_topic", "partition", "offset", "raw_sha256"]
        )


def downgrade() -> None:
    with op.batch_alter_table("dead_letters") as batch:
        batch.drop_constraint("uq_dead_letter_record", type_="unique")
        batch.create_unique_constraint(
            "uq_dead_letter_source", ["source_topic", "partition", "offset"]
        )
        batch.drop_column("raw_sha256")
