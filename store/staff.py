"""Staff accounts and sign-in sessions in SQL (the rules are in services/signin.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from store.schema import staff_sessions, staff_users


async def get_user(s: AsyncSession, username: str) -> dict[str, Any] | None:
    row = (
        await s.execute(sa.select(staff_users).where(staff_users.c.username == username))
    ).first()
    return dict(row._mapping) if row else None


async def add_user(s: AsyncSession, **values: Any) -> None:
    await s.execute(staff_users.insert().values(**values))


async def update_user(s: AsyncSession, username: str, **values: Any) -> bool:
    result = await s.execute(
        sa.update(staff_users).where(staff_users.c.username == username).values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


def _not_locked(now: datetime) -> sa.ColumnElement[bool]:
    u = staff_users.c
    return sa.or_(u.locked_until.is_(None), u.locked_until <= now)


async def reserve_attempt(s: AsyncSession, username: str, now: datetime) -> dict[str, Any] | None:
    """Count one attempt on the account *before* its password is compared, and return the
    account with the count; None when it is unknown, disabled or locked now.

    One `UPDATE … RETURNING`: the row lock (PostgreSQL) or the write lock (SQLite) gives each
    of any number of concurrent attempts its own count, so no more than the limit are ever
    compared. An attempt after a lock has run out starts a new count at 1."""
    u = staff_users.c
    ran_out = u.locked_until.is_not(None)  # and past, by the WHERE clause
    result = await s.execute(
        sa.update(staff_users)
        .where(u.username == username, u.disabled_at.is_(None), _not_locked(now))
        .values(
            failed_attempts=sa.case((ran_out, 1), else_=u.failed_attempts + 1),
            locked_until=None,
        )
        .returning(staff_users)
    )
    row = result.first()
    return dict(row._mapping) if row else None


async def lock(s: AsyncSession, username: str, now: datetime, until: datetime) -> None:
    """Lock the account until `until`, unless a lock is already running (it is not extended)."""
    await s.execute(
        sa.update(staff_users)
        .where(staff_users.c.username == username, _not_locked(now))
        .values(locked_until=until)
    )


async def signed_in(s: AsyncSession, username: str, **values: Any) -> bool:
    """A right password: the count starts again, unless the account was locked or disabled
    meanwhile (by concurrent wrong attempts): a right password never clears a lock. False
    then, and nothing is changed."""
    u = staff_users.c
    result = await s.execute(
        sa.update(staff_users)
        .where(u.username == username, u.disabled_at.is_(None), u.locked_until.is_(None))
        .values(failed_attempts=0, **values)
    )
    return bool(getattr(result, "rowcount", 0))


async def list_users(s: AsyncSession) -> list[dict[str, Any]]:
    rows = await s.execute(sa.select(staff_users).order_by(staff_users.c.username))
    return [dict(r._mapping) for r in rows]


async def add_session(s: AsyncSession, **values: Any) -> None:
    await s.execute(staff_sessions.insert().values(**values))


async def session_with_user(s: AsyncSession, id_sha256: str) -> dict[str, Any] | None:
    """The session and its account's role, department, name and state."""
    query = (
        sa.select(
            staff_sessions.c.expires_at,
            staff_sessions.c.revoked_at,
            staff_users.c.username,
            staff_users.c.role,
            staff_users.c.dept,
            staff_users.c.display_name,
            staff_users.c.disabled_at,
        )
        .join(staff_users, staff_users.c.username == staff_sessions.c.username)
        .where(staff_sessions.c.id_sha256 == id_sha256)
    )
    row = (await s.execute(query)).first()
    return dict(row._mapping) if row else None


async def revoke_sessions(
    s: AsyncSession, now: datetime, *, username: str | None = None, id_sha256: str | None = None
) -> int:
    query = sa.update(staff_sessions).where(staff_sessions.c.revoked_at.is_(None))
    if username is not None:
        query = query.where(staff_sessions.c.username == username)
    if id_sha256 is not None:
        query = query.where(staff_sessions.c.id_sha256 == id_sha256)
    result = await s.execute(query.values(revoked_at=now))
    return int(getattr(result, "rowcount", 0))
