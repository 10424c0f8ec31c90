"""Delivery of recorded decisions to their cases, and when an outbox row was queued again.

`decisions` gains `decided_at`, `delivered_at`, `delivery_attempts` and
`next_delivery_at` (services.departments.delivery). A decision of a case that has ended is
marked delivered as of its receipt (there is nothing left to tell); one of a case still open
stays undelivered, so the sweeper signals it once more after the upgrade (the workflow ignores
a decision it already has, by event id) — which heals a case left waiting by a lost signal.

`outbox.queued_at`: when a sent row was put back to be sent again; the outbox's age on
`/readyz` is measured from it, not from the row's creation.

`health_probes`: the row each process's readiness check writes, so that a database that still
answers reads but can no longer write (a full disk) is not reported ready.

Revision ID: 0012
Revises: 0013
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.schema

revision = "0012"
down_revision = "0013"
branch_labels = None
depends_on = None

OPEN = ("submitted", "pre_review", "correction_requested", "in_review")


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("decided_at", store.schema.UTCDateTime()))
        batch.add_column(sa.Column("delivered_at", store.schema.UTCDateTime()))
        batch.add_column(
            sa.Column("delivery_attempts", sa.Integer, nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("next_delivery_at", store.schema.UTCDateTime()))
    decisions = sa.table(
        "decisions",
        sa.column("case_id", sa.String),
        sa.column("received_at", store.schema.UTCDateTime()),
        sa.column("delivered_at", store.schema.UTCDateTime()),
    )
    cases = sa.table("cases", sa.column("case_id", sa.String), sa.column("status", sa.String))
    ended = sa.select(cases.c.case_id).where(cases.c.status.not_in(OPEN))
    op.get_bind().execute(
        sa.update(decisions)
        .where(decisions.c.case_id.in_(ended))
        .values(delivered_at=decisions.c.received_at)
    )
    op.create_index(
        "ix_decisions_undelivered",
        "decisions",
        ["next_delivery_at"],
        sqlite_where=sa.text("delivered_at IS NULL"),
        postgresql_where=sa.text("delivered_at IS NULL"),
    )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("queued_at", store.schema.UTCDateTime()))
    op.create_table(
        "health_probes",
        sa.Column("instance", sa.String(200), primary_key=True),
        sa.Column("probed_at", store.schema.UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("health_probes")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("queued_at")
    op.drop_index("ix_decisions_undelivered", table_name="decisions")
    with op.batch_alter_table("decisions") as batch:
        for name in ("next_delivery_at", "delivery_attempts", "delivered_at", "decided_at"):
            batch.drop_column(name)
