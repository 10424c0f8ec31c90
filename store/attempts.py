"""Attempts counted before a secret is checked: query codes per (case, source), staff sign-ins
per source. One atomic upsert counts an attempt before the code or password is compared, so
concurrent guesses on any number of API processes cannot all slip in."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from store.schema import UTCDateTime, sign_in_attempts
from store.schema import query_code_attempts as t


def _upsert(dialect_name: str, table: sa.Table) -> Any:
    # Both dialects' Insert have the same on_conflict_do_update and excluded.
    if dialect_name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


async def _count(
    session: AsyncSession, table: sa.Table, key: dict[str, str], now: datetime, window: timedelta
) -> tuple[int, datetime]:
    """INSERT ... ON CONFLICT DO UPDATE ... RETURNING: the row lock (PostgreSQL) or the database
    write lock (SQLite) serialises concurrent calls, so each sees a distinct count. A window that
    has passed starts again at 1."""
    stmt = _upsert(session.get_bind().dialect.name, table)
    stale = table.c.window_start < now - window
    stmt = stmt.values(**key, window_start=now, attempts=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c[k] for k in key],
        set_={
            "attempts": sa.case((stale, 1), else_=table.c.attempts + 1),
            "window_start": sa.case(
                (stale, sa.literal(now, UTCDateTime())), else_=table.c.window_start
            ),
        },
    ).returning(table.c.attempts, table.c.window_start)
    row = (await session.execute(stmt)).one()
    return int(row.attempts), row.window_start


async def count_attempt(
    session: AsyncSession, case_id: str, source: str, now: datetime, window: timedelta
) -> tuple[int, datetime]:
    """Add one attempt to (case, source) and return the count and the window's start."""
    return await _count(session, t, {"case_id": case_id, "source": source}, now, window)


async def give_back(session: AsyncSession, case_id: str, sources: list[str]) -> None:
    """A right code: the attempt it took does not count against anyone."""
    await session.execute(
        sa.update(t)
        .where(t.c.case_id == case_id, t.c.source.in_(sources), t.c.attempts > 0)
        .values(attempts=t.c.attempts - 1)
    )


async def count_sign_in(
    session: AsyncSession, source: str, now: datetime, window: timedelta
) -> tuple[int, datetime]:
    """Add one sign-in attempt from `source`; the count and the window's start."""
    return await _count(session, sign_in_attempts, {"source": source}, now, window)


async def give_back_sign_in(session: AsyncSession, source: str) -> None:
    """A right password: its attempt does not count against the address."""
    s = sign_in_attempts
    await session.execute(
        sa.update(s).where(s.c.source == source, s.c.attempts > 0).values(attempts=s.c.attempts - 1)
    )
