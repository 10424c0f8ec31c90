"""The registry of department public keys: add, revoke, look up. Keys are never deleted: a
decision signed years ago must still be checkable against the key that signed it.

Every process caches the keys (`infra.department_keys`), so every change here also tells them,
in the same transaction: it bumps `department_key_generation` (read by SQLite processes at most
once a second) and, on PostgreSQL, sends a NOTIFY on `CHANGED_CHANNEL` (delivered at commit)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from store.schema import department_key_generation, department_keys

CHANGED_CHANNEL = "lianban_department_keys"


class KeyExists(ValueError):
    """A key id is registered already (key ids are never reused)."""


async def add_key(
    session: AsyncSession, key_id: str, department: str, public_key_b64: str, created_by: str
) -> None:
    if await get_key(session, key_id) is not None:
        raise KeyExists(f"key id {key_id!r} is registered already; key ids are never reused")
    await session.execute(
        department_keys.insert().values(
            key_id=key_id,
            department=department,
            public_key=public_key_b64,
            created_at=datetime.now(UTC),
            created_by=created_by,
        )
    )
    await _changed(session, key_id)


async def revoke_key(session: AsyncSession, key_id: str, reason: str) -> bool:
    """Revoke a key from now on; False when there is no such key not yet revoked."""
    result = await session.execute(
        sa.update(department_keys)
        .where(department_keys.c.key_id == key_id, department_keys.c.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC), revoked_reason=reason)
    )
    revoked = bool(getattr(result, "rowcount", 0))
    if revoked:
        await _changed(session, key_id)
    return revoked


_BUMP = sa.update(department_key_generation).values(
    generation=department_key_generation.c.generation + 1
)
_NOTIFY = sa.text("SELECT pg_notify(:channel, :key_id)")


async def _changed(session: AsyncSession, key_id: str) -> None:
    """Tell every process's key cache, in the writer's transaction (so only if it commits)."""
    await session.execute(_BUMP)
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(_NOTIFY, {"channel": CHANGED_CHANNEL, "key_id": key_id})


_GENERATION = sa.select(department_key_generation.c.generation)


async def generation(session: AsyncSession) -> int:
    """The registry's generation: it changes whenever a key is added or revoked."""
    return int((await session.execute(_GENERATION)).scalar_one())


_GET_KEY = sa.select(department_keys).where(department_keys.c.key_id == sa.bindparam("key_id"))


async def get_key(session: AsyncSession, key_id: str) -> dict[str, Any] | None:
    # Read for every signed decision: the statement is built once.
    row = (await session.execute(_GET_KEY, {"key_id": key_id})).first()
    return dict(row._mapping) if row else None


async def list_keys(session: AsyncSession, department: str | None = None) -> list[dict[str, Any]]:
    query = sa.select(department_keys).order_by(
        department_keys.c.department, department_keys.c.created_at
    )
    if department is not None:
        query = query.where(department_keys.c.department == department)
    return [dict(r._mapping) for r in await session.execute(query)]
