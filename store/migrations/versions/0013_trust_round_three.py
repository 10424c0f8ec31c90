"""Trust, round three: sign-in attempts per address.

- `sign_in_attempts`: staff sign-in attempts per address, counted before a password is checked.

Revision ID: 0013
Revises: 0011
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.schema

revision = "0013"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_attempts",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("window_start", store.schema.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sign_in_attempts")
