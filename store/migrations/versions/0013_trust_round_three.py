"""Trust, round three: sign-in attempts per address; dead letters sealed; query codes hashed.

- `sign_in_attempts`: staff sign-in attempts per address, counted before a password is checked.
- `dead_letters.raw_kid`: a dead letter keeps the record it could not apply (re-drive needs
  its exact bytes), which may hold an applicant's ID and phone numbers. Every existing record
  is sealed with the current payload key (AES-256-GCM, `dead-letter/<topic>/<partition>/
  <offset>/<sha256>` as associated data; store.personal.seal_dead_letter), and every stored
  `detail` is masked (it may quote the input). Without a current key (development) the records
  stay plain with a null key id. The key comes from the process running the upgrade or, from
  the `alembic` command line, LIANBAN_PAYLOAD_KEYS / LIANBAN_PAYLOAD_KID (as 0007 and 0011).

- `cases.query_code` (now up to 160 characters) holds a keyed hash of the code, never the code
  (store.query_codes: HMAC-SHA256 under a key derived from the current payload key, over the
  case number and the code; unkeyed without a key). Every stored code is hashed.

Downgrade puts the dead letters' records back in plain text (it needs the keys that sealed
them); masked details stay masked, and hashed query codes stay hashed: no hash gives its code
back, so after a downgrade the cases made before it answer no code (their applicants ask the
window for the case's progress).

Revision ID: 0013
Revises: 0019
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import store.schema
from domain.privacy import mask_text
from store.personal import open_dead_letter, seal_dead_letter
from store.query_codes import PREFIX, hash_code, is_hashed
from store.sealing import Keyring, keyring_from_environment

revision = "0013"
down_revision = "0019"
branch_labels = None
depends_on = None

_letters = sa.table(
    "dead_letters",
    sa.column("id", sa.Integer),
    sa.column("source_topic", sa.String),
    sa.column("partition", sa.Integer),
    sa.column("offset", sa.BigInteger),
    sa.column("raw_sha256", sa.String),
    sa.column("raw", sa.Text),
    sa.column("raw_kid", sa.String),
    sa.column("detail", sa.Text),
)


def _keyring() -> Keyring:
    config = op.get_context().config
    given = config.attributes.get("keyring") if config is not None else None
    return given if isinstance(given, Keyring) else keyring_from_environment()


def _seal_dead_letters(keyring: Keyring) -> None:
    conn = op.get_bind()
    for row in conn.execute(sa.select(_letters).where(_letters.c.raw_kid.is_(None))).all():
        raw, kid = seal_dead_letter(
            keyring, row.raw, row.source_topic, row.partition, row.offset, row.raw_sha256
        )
        conn.execute(
            sa.update(_letters)
            .where(_letters.c.id == row.id)
            .values(raw=raw, raw_kid=kid, detail=mask_text(row.detail))
        )


_cases = sa.table("cases", sa.column("case_id", sa.String), sa.column("query_code", sa.String))


def _query_code_length(new: int, old: int) -> None:
    """SQLite does not enforce a VARCHAR's length, and changing a column's type there means
    copying the `cases` table, which `tasks` refers to: only PostgreSQL's column changes."""
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column("cases", "query_code", type_=sa.String(new), existing_type=sa.String(old))


def _hash_query_codes(keyring: Keyring) -> None:
    conn = op.get_bind()
    for row in conn.execute(sa.select(_cases)).all():
        if not is_hashed(row.query_code):
            hashed = hash_code(keyring, row.case_id, row.query_code)
            where = _cases.c.case_id == row.case_id
            conn.execute(sa.update(_cases).where(where).values(query_code=hashed))


def upgrade() -> None:
    op.create_table(
        "sign_in_attempts",
        sa.Column("source", sa.String(64), primary_key=True),
        sa.Column("window_start", store.schema.UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
    )
    with op.batch_alter_table("dead_letters") as batch:
        batch.add_column(sa.Column("raw_kid", sa.String(64)))
    _query_code_length(160, 16)
    keyring = _keyring()
    _seal_dead_letters(keyring)
    _hash_query_codes(keyring)


def downgrade() -> None:
    keyring, conn = _keyring(), op.get_bind()
    for row in conn.execute(sa.select(_letters).where(_letters.c.raw_kid.is_not(None))).all():
        plain = open_dead_letter(keyring, dict(row._mapping))
        conn.execute(sa.update(_letters).where(_letters.c.id == row.id).values(raw=plain))
    with op.batch_alter_table("dead_letters") as batch:
        batch.drop_column("raw_kid")
    # A hash does not fit the old column and opens nothing: a mark no code matches instead.
    conn.execute(
        sa.update(_cases).where(_cases.c.query_code.like(f"{PREFIX}$%")).values(query_code="-")
    )
    _query_code_length(16, 160)
    op.drop_table("sign_in_attempts")
