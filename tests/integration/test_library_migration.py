"""Migration 0015 (the materials library and electronic licences) on SQLite and PostgreSQL: a
case stored before it keeps working (no library key: it neither fills nor adds entries), the
new tables take rows, and a downgrade removes them and the cases' new columns."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.devstack.postgres import postgres_database
from store import migrate
from store.db import make_engine

pytestmark = pytest.mark.integration
BEFORE = migrate.head_revision() + "-1"
NOW = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    if request.param == "sqlite":
        made = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'lianban.db'}")
        yield made
        await made.dispose()
        return
    async with postgres_database() as url:
        made = make_engine(url)
        yield made
        await made.dispose()


def _to(revision: str, down: bool = False) -> object:
    def work(conn: sa.Connection) -> None:
        cfg = migrate.config()
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)

    return work


async def _columns(engine: AsyncEngine, table: str) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: {x["name"] for x in sa.inspect(c).get_columns(table)})


async def _tables(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: set(sa.inspect(c).get_table_names()))


async def test_0015_adds_the_library_keeps_cases_and_goes_back(engine: AsyncEngine) -> None:
    assert migrate.head_revision() == "0015"
    async with engine.begin() as conn:
        await conn.run_sync(_to(BEFORE))  # type: ignore[arg-type]
        await conn.execute(
            sa.text(
                "INSERT INTO cases (case_id, query_code, matter_code, title, applicant_kind, "
                "applicant_name, channel, materials, status, reasons, conditions, "
                "missing_materials, submitted_at, warning_level, provisional, paused, "
                "extension_days, updated_at) VALUES ('C1', '1', 'FOOD-BUSINESS', 't', "
                "'enterprise', 'n', 'online', '[]', 'in_review', '[]', '[]', '[]', :now, "
                "'none', false, false, 0, :now)"
            ),
            {"now": NOW},
        )
    await migrate.upgrade(engine)
    assert {"applicant_key", "applicant_key_kid"} <= await _columns(engine, "cases")
    new = {
        "library_entries",
        "material_reuses",
        "licences",
        "licence_keys",
        "licence_verifications",
    }
    assert new <= await _tables(engine)
    async with engine.begin() as conn:
        kept = (await conn.execute(sa.text("SELECT applicant_key, status FROM cases"))).one()
        assert tuple(kept) == (None, "in_review")
        await conn.execute(
            sa.text(
                "INSERT INTO library_entries (library_id, applicant_key, applicant_key_kid, code, "
                "kind, sha256, case_id, department, checked_on, status, created_at) VALUES "
                "('LIB-1', 'k', 'kid', 'business-licence', 'material', :sha, 'C1', 'samr', "
                ":day, 'valid', :now)"
            ),
            {"sha": "a" * 64, "day": date(2026, 11, 1), "now": NOW},
        )
        await conn.run_sync(_to(BEFORE, down=True))  # type: ignore[arg-type]
    assert not new & await _tables(engine)
    assert "applicant_key" not in await _columns(engine, "cases")
    await migrate.upgrade(engine)
    assert await migrate.current_revision(engine) == "0015"
