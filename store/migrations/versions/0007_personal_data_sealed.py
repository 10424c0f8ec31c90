"""The applicant's ID number and phone sealed at rest; free text masked in stored case rows.

Adds `cases.applicant_contact` (the sealed JSON of both values, see store.personal) and
`applicant_contact_kid`, seals every existing row's values with the current payload key, and
leaves only the masked forms in `applicant_id_number` / `applicant_phone`. An ID or mobile number
typed into a title, a name, a material or a reviewer's comment of an existing case is masked
too. Without a current
key (development) the JSON is stored plain with a null key id and read as plain; nothing is
lost, and such rows are not sealed later by this migration.

The key comes from the process running the upgrade (`lianban db upgrade`, `lianban dev`: their
settings) or, from the `alembic` command line, LIANBAN_PAYLOAD_KEYS / LIANBAN_PAYLOAD_KID.

Downgrade puts the values back in plain text (it needs the keys that sealed them).

Revision ID: 0007
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from domain.privacy import mask_data, mask_text
from store.personal import contact_columns, open_contact
from store.sealing import Keyring, keyring_from_environment

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_cases = sa.table(
    "cases",
    sa.column("case_id", sa.String),
    sa.column("title", sa.String),
    sa.column("applicant_name", sa.String),
    sa.column("applicant_id_number", sa.String),
    sa.column("applicant_phone", sa.String),
    sa.column("applicant_contact", sa.Text),
    sa.column("applicant_contact_kid", sa.String),
    sa.column("materials", sa.JSON),
)


_comments = sa.table(
    "task_comments",
    sa.column("id", sa.Integer),
    sa.column("text", sa.Text),
    sa.column("attachments", sa.JSON),
)


def _keyring() -> Keyring:
    config = op.get_context().config
    given = config.attributes.get("keyring") if config is not None else None
    return given if isinstance(given, Keyring) else keyring_from_environment()


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("applicant_contact", sa.Text))
        batch.add_column(sa.Column("applicant_contact_kid", sa.String(64)))
    keyring, conn = _keyring(), op.get_bind()
    rows = conn.execute(
        sa.select(
            _cases.c.case_id,
            _cases.c.title,
            _cases.c.applicant_name,
            _cases.c.applicant_id_number,
            _cases.c.applicant_phone,
            _cases.c.materials,
        )
    ).all()
    for row in rows:
        values: dict[str, Any] = contact_columns(
            keyring, row.case_id, row.applicant_id_number, row.applicant_phone
        )
        values |= {
            "title": mask_text(row.title),
            "applicant_name": mask_text(row.applicant_name),
            "materials": mask_data(row.materials),
        }
        conn.execute(sa.update(_cases).where(_cases.c.case_id == row.case_id).values(**values))
    for c in conn.execute(sa.select(_comments)).all():
        text, attachments = mask_text(c.text), mask_data(c.attachments)
        if (text, attachments) != (c.text, c.attachments):
            conn.execute(
                sa.update(_comments)
                .where(_comments.c.id == c.id)
                .values(text=text, attachments=attachments)
            )


def downgrade() -> None:
    keyring, conn = _keyring(), op.get_bind()
    rows = conn.execute(sa.select(_cases).where(_cases.c.applicant_contact.is_not(None))).all()
    for row in rows:
        id_number, phone = open_contact(keyring, dict(row._mapping))
        conn.execute(
            sa.update(_cases)
            .where(_cases.c.case_id == row.case_id)
            .values(applicant_id_number=id_number, applicant_phone=phone)
        )
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("applicant_contact_kid")
        batch.drop_column("applicant_contact")
