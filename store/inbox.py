"""Reads and writes of the department review inbox: tasks with their case, claims, comments."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import insert_ignore
from store.schema import cases, task_assignments, task_comments, tasks

# What the inbox shows of the case next to each task: never the applicant's personal data.
_CASE_COLUMNS = (
    cases.c.title,
    cases.c.matter_code,
    cases.c.status.label("case_status"),
    cases.c.warning_level.label("case_warning_level"),
    cases.c.promised_due,
    cases.c.statutory_due,
)


def _inbox_query() -> sa.Select[Any]:
    return (
        sa.select(tasks, *_CASE_COLUMNS, task_assignments.c.assignee)
        .join(cases, cases.c.case_id == tasks.c.case_id)
        .outerjoin(task_assignments, task_assignments.c.task_id == tasks.c.task_id)
    )


async def inbox_rows(
    session: AsyncSession, department: str, status: str | None, limit: int
) -> list[dict[str, Any]]:
    """A department's tasks joined with their case and assignee, soonest due first."""
    query = _inbox_query().where(tasks.c.department == department)
    if status:
        query = query.where(tasks.c.status == status)
    query = query.order_by(tasks.c.due_date.asc().nulls_last(), tasks.c.assigned_at).limit(limit)
    return [dict(r._mapping) for r in await session.execute(query)]


async def inbox_row(session: AsyncSession, task_id: str) -> dict[str, Any] | None:
    row = (await session.execute(_inbox_query().where(tasks.c.task_id == task_id))).first()
    return dict(row._mapping) if row else None


async def assignee(session: AsyncSession, task_id: str) -> str | None:
    query = sa.select(task_assignments.c.assignee).where(task_assignments.c.task_id == task_id)
    return (await session.execute(query)).scalar_one_or_none()


async def claim(session: AsyncSession, task_id: str, who: str, by: str) -> str:
    """Give the task to `who` unless someone holds it; returns who holds it afterwards."""
    stmt = insert_ignore(session.get_bind().dialect.name, task_assignments, "task_id")
    await session.execute(
        stmt.values(task_id=task_id, assignee=who, assigned_by=by, assigned_at=datetime.now(UTC))
    )
    holder = await assignee(session, task_id)
    assert holder is not None
    return holder


async def release(session: AsyncSession, task_id: str) -> None:
    await session.execute(sa.delete(task_assignments).where(task_assignments.c.task_id == task_id))


async def reassign(session: AsyncSession, task_id: str, who: str, by: str) -> None:
    """Hand the task to `who`, whoever held it (a department head's call)."""
    await release(session, task_id)
    await claim(session, task_id, who, by)


async def add_comment(
    session: AsyncSession, task_id: str, author: str, text: str, attachments: list[dict[str, str]]
) -> int:
    result = await session.execute(
        sa.insert(task_comments)
        .values(
            task_id=task_id,
            author=author,
            text=text,
            attachments=attachments,
            created_at=datetime.now(UTC),
        )
        .returning(task_comments.c.id)
    )
    return int(result.scalar_one())


async def comments(session: AsyncSession, task_id: str) -> list[dict[str, Any]]:
    query = (
        sa.select(task_comments)
        .where(task_comments.c.task_id == task_id)
        .order_by(task_comments.c.id)
    )
    return [dict(r._mapping) for r in await session.execute(query)]
