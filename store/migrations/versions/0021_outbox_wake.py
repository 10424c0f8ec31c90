"""PostgreSQL: the outbox NOTIFYs every relay when rows are written or put back to be sent.

A row written by one process (a decision's `DepartmentDecided` in the consumers, a step's
events in the worker) was published when the relay in another process next polled the table,
up to `relay_idle_seconds` later; a department waits that long for its acknowledgement. A
trigger now sends a NOTIFY on channel `lianban_outbox` in the writing transaction, delivered
when it commits, and the relays LISTEN for it (their poll stays, for a lost connection).
Nothing on SQLite: one relay there, woken inside its own process.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

# Frozen here (the models' copy, store.schema.OUTBOX_WAKE_DDL, may change in a later revision).
UPGRADE = [
    "CREATE OR REPLACE FUNCTION lianban_outbox_wake() RETURNS trigger LANGUAGE plpgsql AS $f$ "
    "BEGIN PERFORM pg_notify('lianban_outbox', ''); RETURN NULL; END $f$",
    "CREATE TRIGGER outbox_wake_insert AFTER INSERT ON outbox "
    "FOR EACH STATEMENT EXECUTE FUNCTION lianban_outbox_wake()",
    "CREATE TRIGGER outbox_wake_again AFTER UPDATE OF sent_at, parked_at ON outbox FOR EACH ROW "
    "WHEN (NEW.sent_at IS NULL AND NEW.parked_at IS NULL) EXECUTE FUNCTION lianban_outbox_wake()",
]
DOWNGRADE = [
    "DROP TRIGGER IF EXISTS outbox_wake_again ON outbox",
    "DROP TRIGGER IF EXISTS outbox_wake_insert ON outbox",
    "DROP FUNCTION IF EXISTS lianban_outbox_wake()",
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for ddl in UPGRADE:
            op.execute(ddl)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for ddl in DOWNGRADE:
            op.execute(ddl)
