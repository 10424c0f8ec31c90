"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

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


# Session.info keys: what a session calls once it committed outbox rows, and that it wrote some.
OUTBOX_WAKE = "lianban.outbox_wake"
OUTBOX_QUEUED = "lianban.outbox_queued"


def make_sessionmaker(
    engine: AsyncEngine, *, on_outbox_commit: Callable[[], None] | None = None
) -> async_sessionmaker[Any]:
    """Sessions for `engine`; `on_outbox_commit` is called after each commit that wrote outbox
    rows (`store.records.enqueue_all`), whoever wrote them: an activity, a consumer, the API.
    The process's relay then publishes them at once instead of at its next poll."""
    info = {OUTBOX_WAKE: on_outbox_commit} if on_outbox_commit is not None else {}
    return async_sessionmaker(engine, expire_on_commit=False, info=info)


def mark_outbox_written(session: Any) -> None:
    """Note on `session` (sync or async) that its transaction queued outbox rows."""
    session.info[OUTBOX_QUEUED] = True


@event.listens_for(Session, "after_commit")
def _wake_relay(session: Session) -> None:
    if session.info.pop(OUTBOX_QUEUED, False):
        wake = session.info.get(OUTBOX_WAKE)
        if wake is not None:
            wake()


@event.listens_for(Session, "after_rollback")
def _rows_gone(session: Session) -> None:
    session.info.pop(OUTBOX_QUEUED, None)


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
