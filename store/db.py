"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from store.schema import metadata
from store.sqlite_driver import one_trip_url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the relay read while an activity writes; busy_timeout rides out short locks
    # between the worker, consumers and API sharing one file.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Create the async engine; SQLite gets WAL pragmas, PostgreSQL a modest pool."""
    if url.startswith("sqlite"):
        # One call on SQLite's thread a statement instead of three or four (store/sqlite_driver).
        # The default pool (5, overflow 10): a pool of 20 (+10), tried in wave 3 session 6
        # (bench/RESULTS.md), saved no CPU a run could tell apart; the reconnections it avoided
        # cost ~0.1 ms a case.
        engine = create_async_engine(one_trip_url(url), echo=echo)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, echo=echo, pool_size=10, max_overflow=10, pool_pre_ping=True)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def drop_schema(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)


@functools.cache
def insert_ignore(dialect_name: str, table: sa.Table, *conflict_cols: str) -> Any:
    """An INSERT that does nothing when the row exists (idempotent writes on both backends).

    Built once per (dialect, table, columns): statements are immutable, and building one
    costs more CPU than the database takes to run it; give the values to `execute`."""
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=list(conflict_cols))
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=list(conflict_cols))
