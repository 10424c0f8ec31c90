"""The materials library (证照库) and electronic licences: library entries, the materials a
case took from the library, signed licences, the center's signing keys, verification counts,
and the applicant's library key on each case (issue 25).

Revision ID: 0015
Revises: 0016
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.schema

revision = "0015"
down_revision = "0016"
branch_labels = None
depends_on = None

UTC = store.schema.UTCDateTime


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("applicant_key", sa.String(64)))
        batch.add_column(sa.Column("applicant_key_kid", sa.String(64)))
    op.create_table(
        "library_entries",
        sa.Column("library_id", sa.String(32), primary_key=True),
        sa.Column("applicant_key", sa.String(64), nullable=False),
        sa.Column("applicant_key_kid", sa.String(64), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("ref", sa.String(1000)),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("department", sa.String(64), nullable=False),
        sa.Column("checked_on", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("licence_number", sa.String(80)),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("revoked_at", UTC()),
        sa.Column("revoked_reason", sa.Text),
    )
    op.create_index("ix_library_applicant_code", "library_entries", ["applicant_key", "code"])
    op.create_index("ix_library_case", "library_entries", ["case_id"])
    op.create_table(
        "material_reuses",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column("library_id", sa.String(32), nullable=False),
        sa.Column("how", sa.String(16), nullable=False),
        sa.Column("matter_code", sa.String(64), nullable=False),
        sa.Column("reused_at", UTC(), nullable=False),
    )
    op.create_index("ix_material_reuses_at", "material_reuses", ["reused_at"])
    op.create_table(
        "licences",
        sa.Column("licence_number", sa.String(80), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("matter_code", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("signature", sa.String(100), nullable=False),
        sa.Column("issued_at", UTC(), nullable=False),
        sa.Column("valid_until", sa.Date),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("library_id", sa.String(32)),
        sa.Column("revoked_at", UTC()),
        sa.Column("revoked_by", sa.String(128)),
        sa.Column("revoked_reason", sa.Text),
    )
    op.create_index("ix_licences_case", "licences", ["case_id"])
    op.create_table(
        "licence_keys",
        sa.Column("key_id", sa.String(64), primary_key=True),
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("private_key", sa.Text, nullable=False),
        sa.Column("private_key_kid", sa.String(64)),
        sa.Column("created_at", UTC(), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("retired_at", UTC()),
    )
    op.create_table(
        "licence_verifications",
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("matter_code", sa.String(64), primary_key=True),
        sa.Column("n", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("licence_verifications")
    op.drop_table("licence_keys")
    op.drop_index("ix_licences_case", "licences")
    op.drop_table("licences")
    op.drop_index("ix_material_reuses_at", "material_reuses")
    op.drop_table("material_reuses")
    op.drop_index("ix_library_case", "library_entries")
    op.drop_index("ix_library_applicant_code", "library_entries")
    op.drop_table("library_entries")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("applicant_key_kid")
        batch.drop_column("applicant_key")
