"""Span storage for the embedded default (reports and timelines without a collector)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from store.db import insert_ignore
from store.schema import spans


async def store_spans(sessions: Any, rows: list[dict[str, Any]]) -> None:
    """Insert finished spans; a span seen twice (flush on shutdown) is kept once."""
    rows = [r for r in rows if r["span_id"]]
    if not rows:
        return
    async with sessions() as s, s.begin():
        await s.execute(insert_ignore(s.get_bind().dialect.name, spans, "span_id"), rows)


async def case_spans(session: Any, case_id: str) -> list[dict[str, Any]]:
    result = await session.execute(
        sa.select(spans).where(spans.c.case_id == case_id).order_by(spans.c.start_time)
    )
    return [dict(r._mapping) for r in result]
