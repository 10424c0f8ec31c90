"""The first release's schema (commit 416d2ac), as `create_all` made it before migrations.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

from store.migrations import schema_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The frozen metadata, with its append-only triggers: exactly what the release created.
    schema_v1.metadata.create_all(op.get_bind())


def downgrade() -> None:
    schema_v1.metadata.drop_all(op.get_bind())
