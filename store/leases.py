"""A lease per scheduled job, so that exactly one process runs it at a time.

Taking or renewing is one statement each: an INSERT that does nothing when the row exists, then
`UPDATE … WHERE name = :job AND (expires_at < :now OR holder = :me)`. On PostgreSQL two racing
UPDATEs serialise on the row lock and the second re-evaluates its WHERE against the first's
result (READ COMMITTED), so it finds the lease held and changes nothing; SQLite has one writer.
Clocks: each process uses its own, so they must agree to well within the lease's length (NTP).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import insert_ignore
from store.schema import job_leases as t


async def hold(
    session: AsyncSession, job: str, holder: str, now: datetime, length: timedelta
) -> bool:
    """Take the lease (free or expired) or renew it (ours) until now + length; False when
    another holder has it."""
    until = now + length
    insert = insert_ignore(session.get_bind().dialect.name, t, "name")
    result = await session.execute(insert.values(name=job, holder=holder, expires_at=until))
    if cast("CursorResult[Any]", result).rowcount:
        return True
    result = await session.execute(
        sa.update(t)
        .where(t.c.name == job, sa.or_(t.c.expires_at < now, t.c.holder == holder))
        .values(holder=holder, expires_at=until)
    )
    return bool(cast("CursorResult[Any]", result).rowcount)


async def release(session: AsyncSession, job: str, holder: str, now: datetime) -> None:
    """Give the lease up at shutdown, so another process takes it at once."""
    await session.execute(
        sa.update(t).where(t.c.name == job, t.c.holder == holder).values(expires_at=now)
    )
