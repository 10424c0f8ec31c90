"""The outbox as the relay and operators see it: what to publish next, what the broker refused.

Per-key order is the contract (key = case id): a row that failed and waits for its retry, or
was parked, holds back the later rows of its key only; every other key flows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from store.schema import outbox

UNSENT = outbox.c.sent_at.is_(None)


@dataclass(frozen=True)
class OutboxRow:
    id: int
    topic: str
    key: str
    value: str
    headers: dict[str, Any]
    attempts: int


def _held_back(now: datetime) -> Any:
    """Unsent rows that may not go now: parked, or waiting for their retry."""
    return sa.and_(
        UNSENT,
        sa.or_(outbox.c.parked_at.is_not(None), outbox.c.next_attempt_at > now),
    )


async def next_batch(s: AsyncSession, limit: int, now: datetime) -> list[OutboxRow]:
    """The oldest rows that may be published now, in id order, none behind a held-back row of
    its own key."""
    blocked = dict(
        (
            await s.execute(
                sa.select(outbox.c.key, sa.func.min(outbox.c.id))
                .where(_held_back(now))
                .group_by(outbox.c.key)
            )
        ).all()
    )
    ready = sa.or_(outbox.c.next_attempt_at.is_(None), outbox.c.next_attempt_at <= now)
    query = (
        sa.select(
            outbox.c.id,
            outbox.c.topic,
            outbox.c.key,
            outbox.c.value,
            outbox.c.headers,
            outbox.c.attempts,
        )
        .where(UNSENT, outbox.c.parked_at.is_(None), ready)
        .order_by(outbox.c.id)
        .limit(limit)
    )
    if blocked:
        # A key's rows before its held-back one may still go; none after it.
        first_held = sa.case(blocked, value=outbox.c.key)
        query = query.where(sa.or_(outbox.c.key.not_in(list(blocked)), outbox.c.id < first_held))
    return [OutboxRow(**r._mapping) for r in await s.execute(query)]


async def mark_sent(s: AsyncSession, ids: list[int], now: datetime) -> None:
    if ids:
        await s.execute(sa.update(outbox).where(outbox.c.id.in_(ids)).values(sent_at=now))


async def record_failure(
    s: AsyncSession, row_id: int, error: str, now: datetime, *, retry_at: datetime | None
) -> None:
    """One more failed attempt: retried at `retry_at`, or parked when that is None."""
    values: dict[str, Any] = {
        "attempts": outbox.c.attempts + 1,
        "last_error": error[:2000],
        "next_attempt_at": retry_at,
    }
    if retry_at is None:
        values["parked_at"] = now
    await s.execute(sa.update(outbox).where(outbox.c.id == row_id).values(**values))


async def parked_rows(s: AsyncSession, limit: int = 200) -> list[dict[str, Any]]:
    """Rows the relay gave up on, oldest first (without their payloads)."""
    query = (
        sa.select(
            outbox.c.id,
            outbox.c.event_id,
            outbox.c.topic,
            outbox.c.key,
            outbox.c.attempts,
            outbox.c.last_error,
            outbox.c.created_at,
            outbox.c.parked_at,
            sa.func.length(outbox.c.value).label("size"),
        )
        .where(UNSENT, outbox.c.parked_at.is_not(None))
        .order_by(outbox.c.id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in await s.execute(query)]


async def parked_row(s: AsyncSession, row_id: int) -> dict[str, Any] | None:
    rows = await s.execute(
        sa.select(outbox.c.id, outbox.c.key, outbox.c.topic, outbox.c.last_error).where(
            outbox.c.id == row_id, UNSENT, outbox.c.parked_at.is_not(None)
        )
    )
    row = rows.first()
    return dict(row._mapping) if row is not None else None


async def unpark(s: AsyncSession, row_id: int) -> bool:
    """Give a parked row a fresh set of attempts; False when it is not parked."""
    result = await s.execute(
        sa.update(outbox)
        .where(outbox.c.id == row_id, UNSENT, outbox.c.parked_at.is_not(None))
        .values(parked_at=None, next_attempt_at=None, attempts=0)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def discard(s: AsyncSession, row_id: int, now: datetime) -> bool:
    """Give up on a parked row: it counts as done and no longer holds back its key."""
    result = await s.execute(
        sa.update(outbox)
        .where(outbox.c.id == row_id, UNSENT, outbox.c.parked_at.is_not(None))
        .values(sent_at=now, discarded_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class OutboxStats:
    unsent: int
    oldest_unsent: datetime | None  # of the rows still in flight (parked ones not counted)
    parked: int


async def stats(s: AsyncSession) -> OutboxStats:
    in_flight = sa.and_(UNSENT, outbox.c.parked_at.is_(None))
    row = (
        await s.execute(
            sa.select(
                sa.func.count().filter(in_flight),
                sa.func.min(outbox.c.created_at).filter(in_flight),
                sa.func.count().filter(outbox.c.parked_at.is_not(None)),
            ).where(UNSENT)
        )
    ).one()
    return OutboxStats(int(row[0]), row[1], int(row[2]))
