"""Staff sign-in: accounts (argon2 password hashes, lock-out) and revocable sessions.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.schema

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("dept", sa.String(64)),
        sa.Column("display_name", sa.String(100)),
        sa.Column("failed_attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_until", store.schema.UTCDateTime()),
        sa.Column("disabled_at", store.schema.UTCDateTime()),
        sa.Column("created_at", store.schema.UTCDateTime(), nullable=False),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id_sha256", sa.String(64), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("created_at", store.schema.UTCDateTime(), nullable=False),
        sa.Column("expires_at", store.schema.UTCDateTime(), nullable=False),
        sa.Column("revoked_at", store.schema.UTCDateTime()),
        sa.Column("source", sa.String(16), nullable=False),
    )
    op.create_index("ix_staff_sessions_user", "staff_sessions", ["username"])


def downgrade() -> None:
    op.drop_index("ix_staff_sessions_user", "staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_table("staff_users")
