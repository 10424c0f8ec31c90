"""A department's signed decision record sealed at rest, like the applicant's contact.

`decisions.signed_record` keeps the exact bytes a department signed, so the signature can be
checked again; a department may have typed an ID or phone number into them. Adds
`signed_record_kid` and seals every existing record with the current payload key (AES-256-GCM,
`decision/<case>/<department>` as associated data; store.personal.seal_text). Without a current
key (development) records stay plain with a null key id. The key comes from the process running
the upgrade or, from the `alembic` command line, LIANBAN_PAYLOAD_KEYS / LIANBAN_PAYLOAD_KID.

Downgrade puts the records back in plain text (it needs the keys that sealed them).

Revision ID: 0011
Revises: 0007
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from store.personal import decision_context, open_text, seal_text
from store.sealing import Keyring, keyring_from_environment

revision = "0011"
down_revision = "0007"
branch_labels = None
depends_on = None

_decisions = sa.table(
    "decisions",
    sa.column("case_id", sa.String),
    sa.column("department", sa.String),
    sa.column("signed_record", sa.Text),
    sa.column("signed_record_kid", sa.String),
)


def _keyring() -> Keyring:
    config = op.get_context().config
    given = config.attributes.get("keyring") if config is not None else None
    return given if isinstance(given, Keyring) else keyring_from_environment()


def _where(row: sa.Row[tuple[str, str, str, str | None]]) -> sa.ColumnElement[bool]:
    return sa.and_(_decisions.c.case_id == row.case_id, _decisions.c.department == row.department)


def upgrade() -> None:
    with op.batch_alter_table("decisions") as batch:
        batch.add_column(sa.Column("signed_record_kid", sa.String(64)))
    keyring, conn = _keyring(), op.get_bind()
    if keyring.current is None:
        return
    rows = conn.execute(sa.select(_decisions).where(_decisions.c.signed_record.is_not(None))).all()
    for row in rows:
        context = decision_context(row.case_id, row.department)
        stored, kid = seal_text(keyring, row.signed_record, context)
        conn.execute(
            sa.update(_decisions)
            .where(_where(row))
            .values(signed_record=stored, signed_record_kid=kid)
        )


def downgrade() -> None:
    keyring, conn = _keyring(), op.get_bind()
    rows = conn.execute(
        sa.select(_decisions).where(_decisions.c.signed_record_kid.is_not(None))
    ).all()
    for row in rows:
        context = decision_context(row.case_id, row.department)
        plain = open_text(keyring, row.signed_record, row.signed_record_kid, context)
        conn.execute(sa.update(_decisions).where(_where(row)).values(signed_record=plain))
    with op.batch_alter_table("decisions") as batch:
        batch.drop_column("signed_record_kid")
