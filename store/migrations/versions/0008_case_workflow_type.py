"""The shape of each case's workflow: NULL for the first shape (JointApprovalWorkflow with one
child workflow per department), "CaseWorkflow" for the reviews inside the case.

Revision ID: 0008
Revises: 0010
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing rows stay NULL: their cases run the first shape to the end.
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("workflow_type", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("workflow_type")
