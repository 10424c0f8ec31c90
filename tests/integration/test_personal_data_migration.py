"""Migration 0007 on SQLite and PostgreSQL: existing cases' ID numbers and phones are sealed with
the current payload key (or kept as plain JSON with a null key id when there is none), the
columns keep only masked forms, numbers typed into titles and comments are masked, and the
audited route's reader gets the values back, also after a key rotation."""

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
from store.personal import open_contact
from store.sealing import Keyring

pytestmark = pytest.mark.integration
ID, PHONE = "110101199003077774", "13800138000"
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


async def _seed_before_0007(engine: AsyncEngine) -> None:
    def work(conn: sa.Connection) -> None:
        cfg = migrate.config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007-1")  # the revision before this one, whatever it is named
        now = datetime(2026, 11, 1, tzinfo=UTC)
        conn.execute(
            sa.text(
                "INSERT INTO cases (case_id, query_code, matter_code, title, applicant_kind, "
                "applicant_name, applicant_id_number, applicant_phone, channel, materials, "
                "status, reasons, conditions, missing_materials, submitted_at, warning_level, "
                "provisional, paused, extension_days, updated_at) VALUES ('C1', '123456', 'M', "
                f"'厂房 {ID}', 'citizen', '张伟', '{ID}', '{PHONE}', 'window', '[]', "
                "'submitted', '[]', '[]', '[]', :now, 'none', false, false, 0, :now)"
            ),
            {"now": now},
        )
        conn.execute(
            sa.text(
                "INSERT INTO task_comments (task_id, author, text, attachments, created_at) "
                f"VALUES ('C1.env', 'r', '打 {PHONE}', '[]', :now)"
            ),
            {"now": now},
        )

    async with engine.begin() as conn:
        await conn.run_sync(work)


async def _texts(engine: AsyncEngine) -> str:
    async with engine.connect() as conn:
        rows = [
            *(await conn.execute(sa.text("SELECT * FROM cases"))).all(),
            *(await conn.execute(sa.text("SELECT * FROM task_comments"))).all(),
        ]
    return repr(rows)


async def _case(engine: AsyncEngine) -> dict[str, object]:
    async with engine.connect() as conn:
        row = (await conn.execute(sa.text("SELECT * FROM cases"))).one()
    return dict(row._mapping)


async def test_existing_rows_are_sealed_with_the_current_key(engine: AsyncEngine) -> None:
    await _seed_before_0007(engine)
    assert ID in await _texts(engine)  # as before this change
    await migrate.upgrade(engine, KEYS)
    text = await _texts(engine)
    assert ID not in text and PHONE not in text
    case = await _case(engine)
    assert case["applicant_contact_kid"] == "k1"
    assert case["applicant_id_number"] == "110101********7774"
    assert case["title"] == "厂房 110101********7774"
    assert open_contact(KEYS, case) == (ID, PHONE)
    # After a rotation the old key stays loaded to read; without it the row does not open.
    rotated = Keyring.from_settings(
        "k2",
        {"k1": base64.b64encode(b"1" * 32).decode(), "k2": base64.b64encode(b"2" * 32).decode()},
    )
    assert open_contact(rotated, case) == (ID, PHONE)
    with pytest.raises(ValueError, match="k1"):
        open_contact(
            Keyring.from_settings("k2", {"k2": base64.b64encode(b"2" * 32).decode()}), case
        )
    # A sealed value copied onto another case does not open there.
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        open_contact(KEYS, {**case, "case_id": "C2"})


async def test_without_a_key_rows_stay_plain_with_a_null_key_id(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LIANBAN_PAYLOAD_KID", raising=False)
    await _seed_before_0007(engine)
    await migrate.upgrade(engine, Keyring(None))
    case = await _case(engine)
    assert case["applicant_contact_kid"] is None
    assert case["applicant_id_number"] == "110101********7774"
    assert open_contact(Keyring(None), case) == (ID, PHONE)
