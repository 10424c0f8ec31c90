"""The inbox sorted by arrival reads an index: `ix_tasks_received` (department, status,
assigned_at), so "most recently received first" stops at a page instead of joining and sorting
every open task of the department (bench.scale: 29,015 open fire tasks).

Revision ID: 0016b
Revises: 0016
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0016b"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_tasks_received", "tasks", ["department", "status", "assigned_at"])


def downgrade() -> None:
    op.drop_index("ix_tasks_received", "tasks")
