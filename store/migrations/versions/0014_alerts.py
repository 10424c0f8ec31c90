"""Alerts that reach someone: the alerts Alertmanager's webhook and the KPI thresholds raise,
and the leaders' KPI thresholds per matter.

Revision ID: 0014
Revises: 0015
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.schema

revision = "0014"
down_revision = "0015"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("fingerprint", sa.String(100), nullable=False, unique=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("summary", sa.String(500), nullable=False),
        sa.Column("runbook_url", sa.String(300)),
        sa.Column("matter_code", sa.String(64)),
        sa.Column("labels", JSON, nullable=False),
        sa.Column("starts_at", store.schema.UTCDateTime(), nullable=False),
        sa.Column("ends_at", store.schema.UTCDateTime()),
        sa.Column("updated_at", store.schema.UTCDateTime(), nullable=False),
    )
    op.create_index("ix_alerts_status", "alerts", ["status", "starts_at"])
    op.create_table(
        "kpi_thresholds",
        sa.Column("matter_code", sa.String(64), primary_key=True),
        sa.Column("kpi", sa.String(32), primary_key=True),
        sa.Column("threshold", sa.Float, nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("min_cases", sa.Integer, nullable=False, server_default="1"),
        sa.Column("set_by", sa.String(100), nullable=False),
        sa.Column("set_at", store.schema.UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("kpi_thresholds")
    op.drop_index("ix_alerts_status", "alerts")
    op.drop_table("alerts")
