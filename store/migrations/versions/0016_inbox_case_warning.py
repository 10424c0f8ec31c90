"""The inbox counts and filters open tasks without reading their cases.

`tasks.case_warning_level` keeps each task's case's warning (none, yellow, red, breach) beside
the task, written in the same transaction as `cases.warning_level` (activities/clocks.py) and
when the task is made: a department's view counts and its urgency filter then read one index
range of `tasks` (`ix_tasks_inbox`, which now ends with it) instead of joining every open task
to its case (~300 ms for 29,015 open tasks at 100,000 cases; bench.scale). `task_assignments`
gets an index by assignee for "claimed by me".

Revision ID: 0016
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0011"
branch_labels = None
depends_on = None

OLD_INBOX = ["department", "status", "due_date", "assigned_at"]


def upgrade() -> None:
    with op.batch_alter_table("tasks") as batch:
        batch.add_column(
            sa.Column("case_warning_level", sa.String(16), nullable=False, server_default="none")
        )
    op.execute(
        "UPDATE tasks SET case_warning_level = (SELECT cases.warning_level FROM cases "
        "WHERE cases.case_id = tasks.case_id) WHERE EXISTS (SELECT 1 FROM cases "
        "WHERE cases.case_id = tasks.case_id AND cases.warning_level <> 'none')"
    )
    op.drop_index("ix_tasks_inbox", "tasks")
    op.create_index("ix_tasks_inbox", "tasks", [*OLD_INBOX, "case_warning_level"])
    op.create_index("ix_task_assignments_assignee", "task_assignments", ["assignee"])


def downgrade() -> None:
    op.drop_index("ix_task_assignments_assignee", "task_assignments")
    op.drop_index("ix_tasks_inbox", "tasks")
    op.create_index("ix_tasks_inbox", "tasks", OLD_INBOX)
    with op.batch_alter_table("tasks") as batch:
        batch.drop_column("case_warning_level")
