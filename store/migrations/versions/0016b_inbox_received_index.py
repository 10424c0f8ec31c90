"""The inbox narrowed and sorted at scale reads the department's tasks alone.

- `ix_tasks_received` (department, status, assigned_at): "most recently received first" stops
  at a page instead of joining and sorting every open task of the department;
- `tasks.case_title`, the case's title beside each task (a title does not change once
  submitted; written with the task): a search by words of the title reads the department's
  tasks in due order, not every case (bench.scale: 29,015 open fire tasks, 100,000 cases);
- `ix_tasks_case_pattern`, `ix_cases_case_pattern` (PostgreSQL `varchar_pattern_ops`): a case
  number's start (`LIKE 'LB-2026%'`) is an index range under any collation (on SQLite a plain
  index on the number).

Revision ID: 0016b
Revises: 0014
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016b"
down_revision = "0014"
branch_labels = None
depends_on = None

PATTERN = {"case_id": "varchar_pattern_ops"}


def upgrade() -> None:
    op.create_index("ix_tasks_received", "tasks", ["department", "status", "assigned_at"])
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(sa.Column("case_title", sa.String(300), nullable=False, server_default=""))
    op.execute(
        "UPDATE tasks SET case_title = (SELECT cases.title FROM cases "
        "WHERE cases.case_id = tasks.case_id) "
        "WHERE EXISTS (SELECT 1 FROM cases WHERE cases.case_id = tasks.case_id)"
    )
    op.create_index("ix_tasks_case_pattern", "tasks", ["case_id"], postgresql_ops=PATTERN)
    op.create_index("ix_cases_case_pattern", "cases", ["case_id"], postgresql_ops=PATTERN)


def downgrade() -> None:
    op.drop_index("ix_cases_case_pattern", "cases")
    op.drop_index("ix_tasks_case_pattern", "tasks")
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("case_title")
    op.drop_index("ix_tasks_received", "tasks")
