"""The security log: refused attempts by callers a case or route is not for, and reads of
decrypted workflow payloads (the codec server)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from store.schema import security_events as t


async def record_event(
    session: AsyncSession,
    *,
    role: str,
    subject: str,
    route: str,
    reason: str,
    source: str | None = None,
    case_id: str | None = None,
) -> None:
    await session.execute(
        sa.insert(t).values(
            at=datetime.now(UTC),
            role=role[:32],
            subject=subject[:200],
            route=route[:300],
            reason=reason[:300],
            source=source[:64] if source else None,
            case_id=case_id[:64] if case_id else None,
        )
    )


# Refusals and codec reads are the same kind of line: who, from where, which route, why.
record_refusal = record_event


async def recent_refusals(session: AsyncSession, limit: int = 100) -> list[dict[str, Any]]:
    """The latest first."""
    rows = await session.execute(sa.select(t).order_by(t.c.id.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]
