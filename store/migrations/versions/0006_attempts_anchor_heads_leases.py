"""Wrong query codes counted in the database per (case, source), shared by every API process
and kept across restarts (was a per-process dict); each case's head as an anchor saw it;
the lease that lets one process run the scheduled jobs; the security log of refusals.

Revision ID: 0006
Revises: 0008
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.schema

revision = "0006"
down_revision = "0008"
branch_labels = None
depends_on = None

# lianban_append_only() exists since 0001 (the audit log's triggers use it).
SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_anchor_heads_no_update BEFORE UPDATE ON audit_anchor_heads "
    "BEGIN SELECT RAISE(ABORT, 'audit_anchor_heads is append-only'); END",
    "CREATE TRIGGER audit_anchor_heads_no_delete BEFORE DELETE ON audit_anchor_heads "
    "BEGIN SELECT RAISE(ABORT, 'audit_anchor_heads is append-only'); END",
]
POSTGRES_TRIGGERS = [
    "CREATE TRIGGER audit_anchor_heads_append_only BEFORE UPDATE OR DELETE ON "
    "audit_anchor_heads FOR EACH ROW EXECUTE FUNCTION lianban_append_only()",
    "CREATE TRIGGER audit_anchor_heads_no_truncate BEFORE TRUNCATE ON audit_anchor_heads "
    "FOR EACH STATEMENT EXECUTE FUNCTION lianban_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "query_code_attempts",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("window_start", store.schema.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
    )
    op.create_table(
        "audit_anchor_heads",
        sa.Column("anchor_seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_anchor_heads_case", "audit_anchor_heads", ["case_id", "anchor_seq"])
    op.create_table(
        "job_leases",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", store.schema.UTCDateTime(), nullable=False),
    )
    op.create_table(
        "security_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", store.schema.UTCDateTime(), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("route", sa.String(300), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("source", sa.String(64)),
        sa.Column("case_id", sa.String(64)),
    )
    op.create_index("ix_security_events_at", "security_events", ["at"])
    dialect = op.get_bind().dialect.name
    for ddl in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRES_TRIGGERS:
        op.execute(ddl)


def downgrade() -> None:
    op.drop_index("ix_security_events_at", "security_events")
    op.drop_table("security_events")
    op.drop_table("job_leases")
    op.drop_index("ix_audit_anchor_heads_case", "audit_anchor_heads")
    op.drop_table("audit_anchor_heads")
    op.drop_table("query_code_attempts")
