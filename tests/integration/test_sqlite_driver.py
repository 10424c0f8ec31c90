"""The SQLite dialect that runs each statement in one call on aiosqlite's thread
(store/sqlite_driver.py): what SQLAlchemy reads from a cursor is still there, errors are still
SQLAlchemy's, and a statement costs one trip to SQLite's thread where aiosqlite's own adapter
took three or four."""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import aiosqlite
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from store.db import make_engine, make_sessionmaker
from store.sqlite_driver import DRIVER, one_trip_url

_rows = sa.MetaData()
ITEMS = sa.Table(
    "items",
    _rows,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String, unique=True, nullable=False),
)


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'driver.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(_rows.create_all)
    yield engine
    await engine.dispose()


class TripCounter:
    """Counts the calls queued on one aiosqlite connection's thread (each one a round trip).
    Only that connection's: other tests' apps may be running in this process meanwhile."""

    def __init__(self, driver: aiosqlite.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[str] = []
        original = driver._execute

        async def counted(fn: Any, *args: Any, **kw: Any) -> Any:
            self.calls.append(getattr(fn, "__name__", repr(fn)))
            return await original(fn, *args, **kw)

        monkeypatch.setattr(driver, "_execute", counted)


async def _driver(conn: AsyncConnection) -> aiosqlite.Connection:
    raw = await conn.get_raw_connection()  # the pool's record: no trip
    return cast(aiosqlite.Connection, raw.driver_connection)


def test_only_aiosqlite_urls_change() -> None:
    assert one_trip_url("sqlite+aiosqlite:///var/x.db") == f"sqlite+{DRIVER}:///var/x.db"
    assert one_trip_url("postgresql+asyncpg://u@h/db") == "postgresql+asyncpg://u@h/db"


async def test_make_engine_uses_the_one_trip_dialect(engine: AsyncEngine) -> None:
    assert engine.dialect.driver == DRIVER


async def test_rows_rowcount_and_lastrowid_survive_the_single_call(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        first = await conn.execute(ITEMS.insert().values(name="a"))
        assert first.inserted_primary_key == (1,)  # read from the cursor's lastrowid
        many = await conn.execute(ITEMS.insert(), [{"name": "b"}, {"name": "c"}])
        assert many.rowcount == 2  # executemany
        updated = await conn.execute(
            ITEMS.update().where(ITEMS.c.name != "a").values(name=ITEMS.c.name + "!")
        )
        assert updated.rowcount == 2
        rows = (await conn.execute(sa.select(ITEMS.c.id, ITEMS.c.name).order_by(ITEMS.c.id))).all()
        assert [tuple(r) for r in rows] == [(1, "a"), (2, "b!"), (3, "c!")]
        returned = (
            await conn.execute(ITEMS.delete().where(ITEMS.c.id == 3).returning(ITEMS.c.name))
        ).scalar_one()
        assert returned == "c!"
        assert (await conn.execute(sa.select(ITEMS.c.id).where(ITEMS.c.id == 99))).first() is None


async def test_a_failing_statement_raises_sqlalchemys_error_and_rolls_back(
    engine: AsyncEngine,
) -> None:
    async with engine.begin() as conn:
        await conn.execute(ITEMS.insert().values(name="same"))
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(ITEMS.insert().values(name="other"))
            await conn.execute(ITEMS.insert().values(name="same"))
    async with engine.connect() as conn:
        names = (await conn.execute(sa.select(ITEMS.c.name))).scalars().all()
    assert names == ["same"]  # "other" went with the failed transaction


async def test_a_statement_is_one_trip_and_a_read_needs_no_rollback_trip(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with engine.begin() as conn:  # the pool's one connection, opened and used
        await conn.execute(ITEMS.insert().values(name="x"))
        driver = await _driver(conn)
    trips = TripCounter(driver, monkeypatch)
    async with engine.connect() as conn:
        assert await _driver(conn) is driver
        rows = (await conn.execute(sa.select(ITEMS.c.name))).all()
    assert [r.name for r in rows] == ["x"]
    assert trips.calls == ["_run"]  # no cursor, fetch, close or rollback trips
    trips.calls.clear()
    async with engine.begin() as conn:
        assert await _driver(conn) is driver
        await conn.execute(ITEMS.insert().values(name="y"))
    assert trips.calls == ["_run", "commit"]


COUNTER = sa.Table(
    "counter",
    _rows,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
)


def _writable(path: Path) -> bool:
    """Whether another connection can take SQLite's write lock now (2 s of patience: a loaded
    machine, not a lock that stays)."""
    raw = sqlite3.connect(path, timeout=2, isolation_level=None)
    try:
        raw.execute("BEGIN IMMEDIATE")
        raw.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        raw.close()


async def test_a_step_cancelled_mid_statement_leaves_no_lock_and_no_half(
    tmp_path: Path,
) -> None:
    """A local activity that overruns its timeout is cancelled wherever it is. With aiosqlite's
    own adapter a cancellation between its trips (cursor, execute, fetch, close) could leave
    the connection back in the pool inside a write transaction: SQLite's write lock held by an
    idle connection, every other writer failing on 'database is locked' (this test's loop, run
    with the stock adapter, found the lock still held 15 s later; bench.memory on the stock
    adapter with the case update by RETURNING stalls on such failures). Here each step is one
    trip, and a cancelled one closes its connection, which rolls the transaction back."""
    path = tmp_path / "cancel.db"
    engine = make_engine(f"sqlite+aiosqlite:///{path}")
    async with engine.begin() as conn:
        await conn.run_sync(_rows.create_all)
        await conn.execute(COUNTER.insert().values(id=1, value=0))
    sessions = make_sessionmaker(engine)

    async def step(n: int) -> None:
        async with sessions.begin() as s:
            bump = COUNTER.update().where(COUNTER.c.id == 1).values(value=COUNTER.c.value + 1)
            (await s.execute(bump.returning(COUNTER.c.value))).scalar_one()
            await s.execute(ITEMS.insert().values(name=f"step-{n}"))

    rng = random.Random(26)
    cancelled = 0
    try:
        for n in range(150):
            task = asyncio.create_task(step(n))
            # 0 to 3 ms: before the first statement, inside either, or at the commit.
            await asyncio.sleep(rng.random() * 0.003)
            cancelled += task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            assert _writable(path), f"the write lock outlived step {n}"
        async with engine.connect() as conn:
            value = (await conn.execute(sa.select(COUNTER.c.value))).scalar_one()
            logged = (await conn.execute(sa.select(sa.func.count()).select_from(ITEMS))).scalar()
    finally:
        await engine.dispose()
    assert cancelled > 50  # the loop did cancel steps mid-way, not only after they ended
    assert value == logged  # each step applied whole or not at all
