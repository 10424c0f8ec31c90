"""Applicants' ratings (好差评) and the follow-up items a bad rating opens for the center."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import insert_ignore
from store.schema import follow_ups, ratings


async def insert_rating(session: AsyncSession, case_id: str, level: str, comment: str) -> bool:
    """Store the case's one rating; False when it was already rated."""
    stmt = insert_ignore(session.get_bind().dialect.name, ratings, "case_id").values(
        case_id=case_id, level=level, comment=comment, created_at=datetime.now(UTC)
    )
    result = await session.execute(stmt)
    return bool(cast("CursorResult[Any]", result).rowcount)


async def get_rating(session: AsyncSession, case_id: str) -> dict[str, Any] | None:
    row = (await session.execute(sa.select(ratings).where(ratings.c.case_id == case_id))).first()
    return dict(row._mapping) if row else None


async def open_follow_up(session: AsyncSession, case_id: str, kind: str, detail: str) -> int:
    """Open a follow-up item (one per case and kind); returns its id."""
    stmt = insert_ignore(session.get_bind().dialect.name, follow_ups, "case_id", "kind").values(
        case_id=case_id, kind=kind, detail=detail, status="open", created_at=datetime.now(UTC)
    )
    await session.execute(stmt)
    query = sa.select(follow_ups.c.id).where(
        follow_ups.c.case_id == case_id, follow_ups.c.kind == kind
    )
    return int((await session.execute(query)).scalar_one())


async def list_follow_ups(
    session: AsyncSession, status: str | None, limit: int
) -> list[dict[str, Any]]:
    query = sa.select(follow_ups)
    if status:
        query = query.where(follow_ups.c.status == status)
    query = query.order_by(follow_ups.c.id.desc()).limit(limit)
    return [dict(r._mapping) for r in await session.execute(query)]


async def resolve_follow_up(session: AsyncSession, follow_up_id: int, by: str) -> bool:
    """Mark an open item resolved; False when there is no such open item."""
    result = await session.execute(
        sa.update(follow_ups)
        .where(follow_ups.c.id == follow_up_id, follow_ups.c.status == "open")
        .values(status="resolved", resolved_by=by, resolved_at=datetime.now(UTC))
    )
    return bool(cast("CursorResult[Any]", result).rowcount)


async def get_follow_up(session: AsyncSession, follow_up_id: int) -> dict[str, Any] | None:
    query = sa.select(follow_ups).where(follow_ups.c.id == follow_up_id)
    row = (await session.execute(query)).first()
    return dict(row._mapping) if row else None
