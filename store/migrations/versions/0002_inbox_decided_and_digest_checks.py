"""Session 2: the inbox's decided-view index and the audit digest-check log (append-only).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.schema

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = [
    "CREATE TRIGGER audit_digest_checks_no_update BEFORE UPDATE ON audit_digest_checks "
    "BEGIN SELECT RAISE(ABORT, 'audit_digest_checks is append-only'); END",
    "CREATE TRIGGER audit_digest_checks_no_delete BEFORE DELETE ON audit_digest_checks "
    "BEGIN SELECT RAISE(ABORT, 'audit_digest_checks is append-only'); END",
]
# lianban_append_only() exists since 0001 (the audit log's triggers use it).
POSTGRES_TRIGGERS = [
    "CREATE TRIGGER audit_digest_checks_append_only BEFORE UPDATE OR DELETE ON "
    "audit_digest_checks FOR EACH ROW EXECUTE FUNCTION lianban_append_only()",
    "CREATE TRIGGER audit_digest_checks_no_truncate BEFORE TRUNCATE ON audit_digest_checks "
    "FOR EACH STATEMENT EXECUTE FUNCTION lianban_append_only()",
]


def upgrade() -> None:
    op.create_index("ix_tasks_decided", "tasks", ["department", "status", "decided_at"])
    op.create_table(
        "audit_digest_checks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("checked_at", store.schema.UTCDateTime(), nullable=False),
        sa.Column("anchor_seq", sa.Integer, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    dialect = op.get_bind().dialect.name
    for ddl in SQLITE_TRIGGERS if dialect == "sqlite" else POSTGRES_TRIGGERS:
        op.execute(ddl)


def downgrade() -> None:
    op.drop_table("audit_digest_checks")
    op.drop_index("ix_tasks_decided", "tasks")
