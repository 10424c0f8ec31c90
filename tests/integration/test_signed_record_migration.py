"""Migration 0011 on SQLite and PostgreSQL: a department's signed decision record already stored
is sealed with the current payload key (plain with a null key id without one), opens to the
exact bytes that were signed, and goes back to plain text on downgrade."""

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
from store.personal import decision_context, open_text
from store.sealing import Keyring

pytestmark = pytest.mark.integration
ID = "110101199003077774"
RECORD = '{"event_type":"DecisionMade","data":{"reasons":["身份证 ' + ID + ' 不符"]}}'
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


async def _seed_before_0011(engine: AsyncEngine) -> None:
    def work(conn: sa.Connection) -> None:
        command.upgrade(_alembic(conn, None), "0011-1")  # type: ignore[arg-type]
        conn.execute(
            sa.text(
                "INSERT INTO decisions (case_id, department, event_id, outcome, reasons, "
                "conditions, reviewer, source, received_at, key_id, signature, signed_record) "
                "VALUES ('C1', 'fire', 'e1', 'reject', '[]', '[]', 'r', 'kafka', :now, "
                "'test-fire', 'c2ln', :record)"
            ),
            {"now": datetime(2026, 11, 1, tzinfo=UTC), "record": RECORD},
        )

    async with engine.begin() as conn:
        await conn.run_sync(work)


async def _row(engine: AsyncEngine) -> dict[str, object]:
    async with engine.connect() as conn:
        row = (await conn.execute(sa.text("SELECT * FROM decisions"))).one()
    return dict(row._mapping)


async def test_a_stored_record_is_sealed_and_opens_to_the_signed_bytes(engine: AsyncEngine) -> None:
    await _seed_before_0011(engine)
    await migrate.upgrade(engine, KEYS)
    row = await _row(engine)
    assert row["signed_record_kid"] == "k1"
    assert ID not in str(row["signed_record"])
    context = decision_context("C1", "fire")
    assert open_text(KEYS, str(row["signed_record"]), "k1", context) == RECORD
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag: bound to its row
        open_text(KEYS, str(row["signed_record"]), "k1", decision_context("C2", "fire"))

    def down(conn: sa.Connection) -> None:
        command.downgrade(_alembic(conn, KEYS), "0011-1")  # type: ignore[arg-type]

    async with engine.begin() as conn:
        await conn.run_sync(down)
    async with engine.connect() as conn:
        plain = (await conn.execute(sa.text("SELECT signed_record FROM decisions"))).scalar()
    assert plain == RECORD


async def test_without_a_key_a_record_stays_plain_with_a_null_key_id(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIANBAN_PAYLOAD_KID", raising=False)
    await _seed_before_0011(engine)
    await migrate.upgrade(engine, Keyring(None))
    row = await _row(engine)
    assert row["signed_record_kid"] is None and row["signed_record"] == RECORD
