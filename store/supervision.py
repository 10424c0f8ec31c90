"""Supervision items (督办) in SQL: open, read, and change one only from the state it was read
in (a conditional update), so two supervisors, or two processes sweeping for overdue items,
never both apply a change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import insert_ignore
from store.reports import OPEN_TASK
from store.schema import case_events, supervision_items, tasks


async def open_item(s: AsyncSession, **values: Any) -> int | None:
    """Insert an item; the new id, or None when its `source_key` opened one already."""
    values.setdefault("created_at", datetime.now(UTC))
    values.setdefault("status", "open")
    if values.get("source_key") is None:
        return int(
            await s.scalar(
                sa.insert(supervision_items).values(**values).returning(supervision_items.c.id)
            )
            or 0
        )
    stmt = insert_ignore(s.get_bind().dialect.name, supervision_items, "case_id", "source_key")
    result = await s.execute(stmt.values(**values).returning(supervision_items.c.id))
    found = result.scalar()
    return int(found) if found is not None else None


async def departments_on(s: AsyncSession, case_id: str) -> list[str]:
    """The departments whose task of the case is still to do (they own a breach)."""
    rows = await s.execute(
        sa.select(tasks.c.department)
        .where(tasks.c.case_id == case_id, tasks.c.status.in_(OPEN_TASK))
        .order_by(tasks.c.department)
    )
    return list(rows.scalars())


async def get_item(s: AsyncSession, item_id: int) -> dict[str, Any] | None:
    row = (
        await s.execute(sa.select(supervision_items).where(supervision_items.c.id == item_id))
    ).first()
    return dict(row._mapping) if row else None


async def list_items(
    s: AsyncSession,
    *,
    status: str | None = "open",
    department: str | None = None,
    case_id: str | None = None,
    overdue_on: date | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Items, soonest due first (those without a due date last)."""
    t = supervision_items
    query = sa.select(t).order_by(t.c.due_date.is_(None), t.c.due_date, t.c.id).limit(limit)
    if status is not None:
        query = query.where(t.c.status == status)
    if department is not None:
        query = query.where(t.c.owner_department == department)
    if case_id is not None:
        query = query.where(t.c.case_id == case_id)
    if overdue_on is not None:
        query = query.where(t.c.status == "open", t.c.due_date < overdue_on)
    return [dict(r._mapping) for r in await s.execute(query)]


async def change(s: AsyncSession, item: dict[str, Any], **values: Any) -> bool:
    """Apply `values` if the item is still as read (status and escalation level); False when
    someone else changed it first."""
    t = supervision_items
    result = await s.execute(
        sa.update(t)
        .where(
            t.c.id == item["id"],
            t.c.status == item["status"],
            t.c.escalation_level == item["escalation_level"],
        )
        .values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


async def item_history(
    s: AsyncSession, case_ids: list[str], item_ids: set[int]
) -> dict[int, list[dict[str, Any]]]:
    """What was done to each of `item_ids` (comments, assignments, escalations, closing), read
    from its case's record (the `SupervisionUpdated` events), oldest first."""
    if not case_ids or not item_ids:
        return {}
    query = (
        sa.select(case_events.c.occurred_at, case_events.c.data)
        .where(
            case_events.c.event_type == "SupervisionUpdated",
            case_events.c.case_id.in_(sorted(set(case_ids))),
        )
        .order_by(case_events.c.id)
    )
    found: dict[int, list[dict[str, Any]]] = {}
    for occurred_at, data in await s.execute(query):
        item = data.get("supervision_id")
        if item in item_ids:
            found.setdefault(int(item), []).append({"at": occurred_at, **data})
    return found


@dataclass(frozen=True)
class SupervisionCount:
    owner: str | None
    open: int
    overdue: int
    escalated: int


async def supervision_counts(
    s: AsyncSession, today: date, department: str | None = None
) -> list[SupervisionCount]:
    """Open items per owner department: how many, how many overdue, how many escalated."""
    t = supervision_items
    overdue = sa.case((t.c.due_date < today, 1), else_=0)
    escalated = sa.case((t.c.escalation_level > 0, 1), else_=0)
    query = (
        sa.select(
            t.c.owner_department, sa.func.count(), sa.func.sum(overdue), sa.func.sum(escalated)
        )
        .where(t.c.status == "open")
        .group_by(t.c.owner_department)
        .order_by(t.c.owner_department)
    )
    if department is not None:
        query = query.where(t.c.owner_department == department)
    rows = await s.execute(query)
    return [SupervisionCount(r[0], int(r[1]), int(r[2] or 0), int(r[3] or 0)) for r in rows]
