"""Schema migrations on SQLite and PostgreSQL: from nothing to head, from the first release's
database (rows kept), adoption of databases made before migrations, a process refusing a
database that is behind, concurrent upgrades, and the models-vs-migrations check."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.devstack.postgres import postgres_database
from infra.bootstrap import bootstrap
from infra.settings import Settings
from store import migrate
from store.db import make_engine
from store.migrations import schema_v1
from store.schema import metadata

pytestmark = pytest.mark.integration
ROOT = Path(__file__).parents[2]


@pytest.fixture(params=["sqlite", "postgresql"])
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'lianban.db'}"
        return
    async with postgres_database() as made:
        yield made


@pytest.fixture
async def engine(url: str) -> AsyncIterator[AsyncEngine]:
    made = make_engine(url)
    try:
        yield made
    finally:
        await made.dispose()


def _filler(column: sa.Column[Any], n: int) -> Any:
    kind = column.type.python_type if not isinstance(column.type, sa.JSON) else list
    if isinstance(column.type, sa.types.TypeDecorator) or kind is datetime:
        return datetime(2026, 11, 1, 9, tzinfo=UTC)
    return {str: f"v{n}", int: n, bool: False, list: []}.get(kind, f"v{n}")


async def _seed_first_release(engine: AsyncEngine) -> None:
    """The first release's schema as `create_all` made it, with a few rows in it."""
    async with engine.begin() as conn:
        await conn.run_sync(schema_v1.metadata.create_all)
        for name in ("cases", "tasks", "outbox", "audit_log"):
            table = schema_v1.metadata.tables[name]
            for n in (1, 2):
                row = {
                    c.name: _filler(c, n)
                    for c in table.columns
                    if (
                        not c.nullable
                        and not (c.primary_key and c.autoincrement is True)
                        and c.default is None
                    )
                    or c.name in ("case_id", "task_id")
                }
                if name == "tasks":
                    row["case_id"] = f"v{n}"
                await conn.execute(table.insert().values(**row))


async def _diffs(engine: AsyncEngine) -> list[object]:
    async with engine.connect() as conn:
        return await conn.run_sync(migrate.differences)


async def _count(engine: AsyncEngine, table: str) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)


async def test_upgrade_from_nothing_matches_the_models(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine)
    assert await migrate.current_revision(engine) == migrate.head_revision()
    assert await _diffs(engine) == []
    await migrate.check_current(engine)
    await migrate.upgrade(engine)  # again: nothing to do
    assert await migrate.current_revision(engine) == migrate.head_revision()


async def test_a_first_release_database_is_upgraded_with_its_rows(engine: AsyncEngine) -> None:
    await _seed_first_release(engine)
    with pytest.raises(migrate.SchemaNotCurrent, match="lianban db upgrade"):
        await migrate.check_current(engine)
    await migrate.upgrade(engine)
    assert await migrate.current_revision(engine) == migrate.head_revision()
    assert await _diffs(engine) == []
    for table in ("cases", "tasks", "outbox", "audit_log"):
        assert await _count(engine, table) == 2, table
    async with engine.connect() as conn:
        attempts = (await conn.execute(sa.text("SELECT attempts FROM outbox"))).scalars().all()
    assert attempts == [0, 0]


async def test_the_audit_tables_stay_append_only_after_upgrade(engine: AsyncEngine) -> None:
    await _seed_first_release(engine)
    await migrate.upgrade(engine)
    for table, column in (("audit_log", "actor"), ("audit_digest_checks", "detail")):
        if table == "audit_digest_checks":
            async with engine.begin() as conn:
                await conn.execute(
                    sa.text(
                        "INSERT INTO audit_digest_checks (checked_at, anchor_seq, ok, detail) "
                        "VALUES (:at, 1, true, 'ok')"
                    ),
                    {"at": datetime.now(UTC)},
                )
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(sa.text(f"UPDATE {table} SET {column} = 'rewritten'"))


async def test_a_database_made_before_migrations_is_adopted_at_its_release(
    engine: AsyncEngine,
) -> None:
    def to_0002_then_forget(conn: sa.Connection) -> None:
        cfg = migrate.config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")
        conn.execute(sa.text("DROP TABLE alembic_version"))  # as `create_all` left it

    async with engine.begin() as conn:
        await conn.run_sync(to_0002_then_forget)
    await migrate.upgrade(engine)
    assert await migrate.current_revision(engine) == migrate.head_revision()
    assert await _diffs(engine) == []


async def test_a_process_refuses_a_database_that_is_behind(url: str, engine: AsyncEngine) -> None:
    def to_0002(conn: sa.Connection) -> None:
        cfg = migrate.config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0002")

    async with engine.begin() as conn:
        await conn.run_sync(to_0002)
    with pytest.raises(migrate.SchemaNotCurrent, match=r"at revision 0002.*lianban db upgrade"):
        await bootstrap(Settings(database_url=url), temporal=False)
    deps = await bootstrap(Settings(database_url=url), temporal=False, migrate=True)
    await deps.close()
    await migrate.check_current(engine)


UPGRADE = """
import asyncio, sys
from store.db import make_engine
from store.migrate import upgrade

async def main() -> None:
    engine = make_engine(sys.argv[1])
    await upgrade(engine)
    await engine.dispose()

asyncio.run(main())
"""


async def test_upgrades_started_together_all_succeed(url: str, engine: AsyncEngine) -> None:
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", UPGRADE, url, stderr=asyncio.subprocess.PIPE, cwd=ROOT
        )
        for _ in range(3)
    ]
    errors = [(await p.communicate())[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], "\n".join(errors)
    assert await migrate.current_revision(engine) == migrate.head_revision()
    assert await _diffs(engine) == []


async def test_a_column_without_a_migration_is_found(engine: AsyncEngine) -> None:
    await migrate.upgrade(engine)
    changed = sa.MetaData()
    for table in metadata.sorted_tables:
        table.to_metadata(changed)
    changed.tables["outbox"].append_column(sa.Column("not_migrated", sa.Integer))

    def compare(conn: sa.Connection) -> list[object]:
        return migrate.differences(conn, changed)

    async with engine.connect() as conn:
        found = await conn.run_sync(compare)
    assert [d[0] for d in found] == ["add_column"]  # type: ignore[index]
    assert "not_migrated" in str(found)


def test_make_lint_check_passes_on_the_tree() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "store.migrate", "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "agree" in done.stdout


def test_serve_refuses_a_database_behind_before_it_waits_for_anything(tmp_path: Path) -> None:
    """No schema at all, and no broker or Temporal to reach: the schema is named at once."""
    env = {
        "PATH": "/usr/bin:/bin",
        "LIANBAN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}",
        "LIANBAN_KAFKA_BOOTSTRAP": "127.0.0.1:1",
        "LIANBAN_TEMPORAL_ADDRESS": "127.0.0.1:1",
        "LIANBAN_ALLOW_DEV_KEY": "true",
    }
    done = subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", "serve", "--no-worker", "--no-api"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "refusing to start" in done.stdout + done.stderr
    assert "lianban db upgrade" in done.stdout + done.stderr
