"""Reads of the dead letters for the operators' list: a filtered page, newest first, the
pending counts by error, the topics seen, each one's latest operator action."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from store.schema import cases, dead_letter_actions, dead_letters

PENDING = sa.and_(dead_letters.c.redriven_at.is_(None), dead_letters.c.discarded_at.is_(None))
_STATES = {
    "pending": PENDING,
    "redriven": dead_letters.c.redriven_at.is_not(None),
    "discarded": dead_letters.c.discarded_at.is_not(None),
}


STATES = ("pending", "redriven", "discarded", "all")
CASE_FILTERS = ("any", "with", "without")


@dataclass(frozen=True)
class DeadLetterFilter:
    """Which dead letters a page shows (the operators' list, API and page alike)."""

    error: str | None = None
    topic: str | None = None
    state: str = "pending"  # one of STATES
    case_id: str | None = None
    case: str = "any"  # any | with (a case that exists) | without (none, or no such case)
    limit: int = 50
    before_id: int | None = None  # the next page: ids below this one


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in result]


async def dead_letter_page(
    s: AsyncSession, filt: DeadLetterFilter, *, limit: int
) -> list[dict[str, Any]]:
    """Dead letters the filter selects, newest first, at most `limit`; `matter_code` is null
    without a case."""
    query = sa.select(dead_letters, cases.c.matter_code, cases.c.status.label("case_status"))
    query = query.outerjoin(cases, cases.c.case_id == dead_letters.c.case_id)
    conditions = [
        c
        for c in (
            _STATES.get(filt.state),
            dead_letters.c.error == filt.error if filt.error else None,
            dead_letters.c.source_topic == filt.topic if filt.topic else None,
            dead_letters.c.case_id == filt.case_id if filt.case_id else None,
            dead_letters.c.id < filt.before_id if filt.before_id else None,
            cases.c.case_id.is_not(None) if filt.case == "with" else None,
            cases.c.case_id.is_(None) if filt.case == "without" else None,
        )
        if c is not None
    ]
    query = query.where(*conditions).order_by(dead_letters.c.id.desc()).limit(limit)
    return _rows(await s.execute(query))


async def pending_by_error(s: AsyncSession) -> dict[str, int]:
    query = (
        sa.select(dead_letters.c.error, sa.func.count())
        .where(PENDING)
        .group_by(dead_letters.c.error)
        .order_by(dead_letters.c.error)
    )
    return {str(error): int(n) for error, n in await s.execute(query)}


async def topics(s: AsyncSession) -> list[str]:
    query = sa.select(dead_letters.c.source_topic).distinct().order_by(dead_letters.c.source_topic)
    return [str(t) for (t,) in await s.execute(query)]


async def last_actions(s: AsyncSession, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The latest operator action on each of these dead letters."""
    if not ids:
        return {}
    query = (
        sa.select(dead_letter_actions)
        .where(dead_letter_actions.c.dead_letter_id.in_(ids))
        .order_by(dead_letter_actions.c.id)
    )
    return {r["dead_letter_id"]: r for r in _rows(await s.execute(query))}


async def dead_letter(s: AsyncSession, dead_letter_id: int) -> dict[str, Any] | None:
    row = (
        await s.execute(sa.select(dead_letters).where(dead_letters.c.id == dead_letter_id))
    ).first()
    return dict(row._mapping) if row else None


async def case_exists(s: AsyncSession, case_id: str) -> bool:
    found = await s.scalar(sa.select(cases.c.case_id).where(cases.c.case_id == case_id))
    return found is not None
