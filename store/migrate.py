"""Schema migrations (Alembic): bring a database to the code's schema, or check that it is.

Migrations run once, before the processes start (`lianban db upgrade`; `lianban dev` upgrades
its embedded database itself); a process only checks the revision and refuses a database that
is behind, naming the command that fixes it. A database made before migrations existed (tables
but no `alembic_version`) is recognised by its tables and adopted at its release's revision.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from store.schema import metadata
from store.sealing import Keyring

MIGRATIONS = Path(__file__).with_name("migrations")
FIX = "run `lianban db upgrade` (with the same LIANBAN_DATABASE_URL) before starting Lianban"
_LOCK = 0x4C49414E  # PostgreSQL advisory lock id ("LIAN"): one upgrade at a time


class SchemaNotCurrent(RuntimeError):
    """The database's revision is not the code's head."""


def config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(config()).get_current_head()
    assert head is not None
    return head


def _current(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


def _release_of(conn: Connection) -> str | None:
    """The revision of a database made by `create_all` before migrations, from its tables."""
    inspector = sa.inspect(conn)
    tables = set(inspector.get_table_names())
    if "alembic_version" in tables or "cases" not in tables:
        return None
    if "audit_digest_checks" not in tables:
        return "0001"
    outbox = {c["name"] for c in inspector.get_columns("outbox")}
    if "parked_at" not in outbox:
        return "0002"
    letters = {c["name"] for c in inspector.get_columns("dead_letters")}
    return "0004" if "raw_sha256" in letters else "0003"


def _upgrade(conn: Connection, keyring: Keyring | None = None) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
    cfg = config()
    cfg.attributes["connection"] = conn
    cfg.attributes["keyring"] = keyring
    adopted = _release_of(conn)
    if adopted is not None:
        command.stamp(cfg, adopted)
    command.upgrade(cfg, "head")


async def upgrade(engine: AsyncEngine, keyring: Keyring | None = None) -> None:
    """Bring the database to the head revision (idempotent; rows are kept). Upgrades started
    together wait for each other: an advisory lock on PostgreSQL, a lock file beside an SQLite
    database (whose DDL does not run inside a transaction that would hold its write lock).

    `keyring` seals personal data a data migration moves (0007); None: the one named by
    LIANBAN_PAYLOAD_KEYS / LIANBAN_PAYLOAD_KID in the environment."""
    async with _sqlite_file_lock(engine), engine.begin() as conn:
        await conn.run_sync(_upgrade, keyring)


@contextlib.asynccontextmanager
async def _sqlite_file_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    database = engine.url.database if engine.url.get_backend_name() == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    handle = await asyncio.to_thread(Path(f"{database}.migrate-lock").open, "a+b")
    try:
        await asyncio.to_thread(fcntl.flock, handle, fcntl.LOCK_EX)
        yield
    finally:
        handle.close()  # closing releases the lock


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current)


async def check_current(engine: AsyncEngine) -> None:
    """Refuse a database that is not at the code's revision, saying what fixes it."""
    found, head = await current_revision(engine), head_revision()
    if found == head:
        return
    if found is None:
        raise SchemaNotCurrent(f"the database has no Lianban schema revision; {FIX}")
    known = {s.revision for s in ScriptDirectory.from_config(config()).walk_revisions()}
    if found not in known:
        raise SchemaNotCurrent(
            f"the database is at revision {found}, newer than this code ({head}): "
            "run the release that upgraded it"
        )
    raise SchemaNotCurrent(f"the database is at revision {found}, the code needs {head}; {FIX}")


def _compare_type(
    context: MigrationContext,
    inspected_column: object,
    metadata_column: object,
    inspected_type: sa.types.TypeEngine[object],
    metadata_type: sa.types.TypeEngine[object],
) -> bool | None:
    """SQLite does not enforce a VARCHAR's length, and changing a column's type there copies its
    table (which fails for `cases`, which `tasks` refers to): a migration widens a column on
    PostgreSQL only, and a length alone is no difference on SQLite. None: alembic compares."""
    if (
        context.dialect.name == "sqlite"
        and type(inspected_type) is sa.VARCHAR
        and type(metadata_type) is sa.String
    ):
        return False
    return None


def differences(conn: Connection, models: sa.MetaData = metadata) -> list[object]:
    """What differs between the migrated database and `models` (`store.schema`; empty: they
    agree)."""
    ctx = MigrationContext.configure(conn, opts={"compare_type": _compare_type})
    return list(compare_metadata(ctx, models))


async def check_models(url: str | None = None) -> list[object]:
    """Upgrade a scratch database (SQLite unless `url`) to head and compare it with the models."""
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_async_engine(url or f"sqlite+aiosqlite:///{tmp}/check.db")
        try:
            await upgrade(engine)
            async with engine.connect() as conn:
                return await conn.run_sync(differences)
        finally:
            await engine.dispose()


def main() -> int:
    """`python -m store.migrate check`: fail when the models and the migrations disagree."""
    if sys.argv[1:] != ["check"]:
        print("usage: python -m store.migrate check", file=sys.stderr)
        return 2
    diffs = asyncio.run(check_models())
    for d in diffs:
        print(f"not in the migrations: {d}", file=sys.stderr)
    if diffs:
        print("store/schema.py changed without a migration: add one in store/migrations/versions")
        return 1
    print(f"models and migrations agree (head {head_revision()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
