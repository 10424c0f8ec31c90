"""Migration 0013 on SQLite and PostgreSQL (issue 21, items 12 and 16): a dead letter already
stored is sealed with the current payload key and its detail masked; a query code already
stored becomes its keyed hash, which the right code still matches. Downgrade opens the records
again; a hash gives no code back."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import AsyncEngine

from entrypoints.devstack.postgres import postgres_database
from store import migrate
from store.db import make_engine
from store.personal import open_dead_letter
from store.query_codes import code_matches
from store.sealing import Keyring

pytestmark = pytest.mark.integration
ID, PHONE = "110101199003077774", "13800138000"
RAW = '{"event_type":"DecisionMade","data":{"reasons":["身份证 ' + ID + '"]}}'
KEYS = Keyring.from_settings("k1", {"k1": base64.b64encode(b"1" * 32).decode()})


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


def _alembic(conn: sa.Connection, keyring: Keyring | None) -> object:
    cfg = migrate.config()
    cfg.attributes["connection"] = conn
    cfg.attributes["keyring"] = keyring
    return cfg


async def _seed_before_0013(engine: AsyncEngine) -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)

    def work(conn: sa.Connection) -> None:
        command.upgrade(_alembic(conn, None), "0016b")  # type: ignore[arg-type]
        conn.execute(
            sa.text(
                'INSERT INTO dead_letters (source_topic, partition, "offset", key, raw, error, '
                "detail, created_at, raw_sha256) VALUES ('lianban.decisions', 0, 7, 'C1', :raw, "
                "'unknown_case', :detail, :now, 'abc')"
            ),
            {"raw": RAW, "detail": f"no case for applicant {PHONE}", "now": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO cases (case_id, query_code, matter_code, title, applicant_kind, "
                "applicant_name, channel, materials, status, reasons, conditions, "
                "missing_materials, submitted_at, updated_at, warning_level, provisional, "
                "paused, extension_days) VALUES ('C1', '123456', 'M', 't', 'citizen', 'n', "
                "'online', '[]', 'in_review', '[]', '[]', '[]', :now, :now, 'none', false, "
                "false, 0)"
            ),
            {"now": now},
        )

    async with engine.begin() as conn:
        await conn.run_sync(work)


async def _one(engine: AsyncEngine, sql: str) -> dict[str, object]:
    async with engine.connect() as conn:
        return dict((await conn.execute(sa.text(sql))).one()._mapping)


async def test_dead_letters_are_sealed_and_query_codes_hashed(engine: AsyncEngine) -> None:
    await _seed_before_0013(engine)
    await migrate.upgrade(engine, KEYS)
    letter = await _one(engine, "SELECT * FROM dead_letters")
    assert letter["raw_kid"] == "k1" and ID not in str(letter["raw"])
    assert open_dead_letter(KEYS, letter) == RAW
    assert PHONE not in str(letter["detail"]) and "138****8000" in str(letter["detail"])
    case = await _one(engine, "SELECT query_code FROM cases")
    stored = str(case["query_code"])
    assert stored.startswith("qc1$k1$") and "123456" not in stored
    assert code_matches(KEYS, "C1", "123456", stored)
    assert not code_matches(KEYS, "C1", "123457", stored)
    assert not code_matches(KEYS, "C2", "123456", stored)  # bound to its case

    def down(conn: sa.Connection) -> None:
        command.downgrade(_alembic(conn, KEYS), "0016b")  # type: ignore[arg-type]

    async with engine.begin() as conn:
        await conn.run_sync(down)
    assert (await _one(engine, "SELECT raw FROM dead_letters"))["raw"] == RAW
    assert (await _one(engine, "SELECT query_code FROM cases"))["query_code"] == "-"


async def test_without_a_key_the_record_stays_plain_and_the_hash_is_unkeyed(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIANBAN_PAYLOAD_KID", raising=False)
    await _seed_before_0013(engine)
    await migrate.upgrade(engine, Keyring(None))
    letter = await _one(engine, "SELECT * FROM dead_letters")
    assert letter["raw_kid"] is None and letter["raw"] == RAW
    stored = str((await _one(engine, "SELECT query_code FROM cases"))["query_code"])
    assert stored.startswith("qc1$$") and code_matches(Keyring(None), "C1", "123456", stored)
