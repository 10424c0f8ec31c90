"""Reads and writes of the department review inbox: tasks with their case, claims, comments."""

from __future__ import annotations

import heapq
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from domain.privacy import mask_data, mask_text
from store.db import insert_ignore
from store.schema import cases, material_reuses, task_assignments, task_comments, tasks

# What the inbox shows of the case next to each task: never the applicant's personal data.
# (The case's warning is `tasks.case_warning_level`, kept beside the task.)
_CASE_COLUMNS = (
    cases.c.title,
    cases.c.matter_code,
    cases.c.status.label("case_status"),
    cases.c.promised_due,
    cases.c.statutory_due,
    # How many of the case's materials came from the applicant's library (a badge per row).
    sa.select(sa.func.count())
    .where(material_reuses.c.case_id == tasks.c.case_id)
    .scalar_subquery()
    .label("reused_materials"),
)


def inbox_query() -> sa.Select[Any]:
    return (
        sa.select(tasks, *_CASE_COLUMNS, task_assignments.c.assignee)
        .join(cases, cases.c.case_id == tasks.c.case_id)
        .outerjoin(task_assignments, task_assignments.c.task_id == tasks.c.task_id)
    )


async def rows_of(session: AsyncSession, query: sa.Select[Any]) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in await session.execute(query)]


# Statuses still the department's work (a task waiting for the applicant's corrections comes
# back to it), listed first; then the finished ones, most recent first.
TO_DO = ("open", "corrections_requested")
# Case warnings (from the case's clocks) that make every open task of the case overdue.
SEVERE = ("red", "breach")


async def inbox_rows(
    session: AsyncSession,
    department: str,
    status: str,
    limit: int,
    *where: ColumnElement[bool],
) -> list[dict[str, Any]]:
    """A department's tasks in one status (and `where`), joined with their case and assignee,
    soonest due first (no due date last), ties by assignment: `ix_tasks_inbox` gives the order."""
    query = (
        inbox_query()
        .where(tasks.c.department == department, tasks.c.status == status, *where)
        .order_by(tasks.c.due_date.asc().nulls_last(), tasks.c.assigned_at)
        .limit(limit)
    )
    return await rows_of(session, query)


def _due_order(row: dict[str, Any]) -> tuple[bool, date, datetime]:
    return (row["due_date"] is None, row["due_date"] or date.min, row["assigned_at"])


async def to_do_rows(session: AsyncSession, department: str, limit: int) -> list[dict[str, Any]]:
    """The department's unfinished tasks (every status in TO_DO), soonest due first.

    One query per status, merged here: each is an `ix_tasks_inbox` range read in order, where
    `status IN (…)` could make the planner walk `ix_tasks_department_due` past every finished
    task due earlier, or sort all the department's open tasks.
    """
    parts = [await inbox_rows(session, department, status, limit) for status in TO_DO]
    return list(heapq.merge(*parts, key=_due_order))[:limit]


async def decided_rows(session: AsyncSession, department: str, limit: int) -> list[dict[str, Any]]:
    """The department's decided tasks, most recently decided first (`ix_tasks_decided`)."""
    query = (
        inbox_query()
        .where(tasks.c.department == department, tasks.c.status == "decided")
        .order_by(tasks.c.decided_at.desc())
        .limit(limit)
    )
    return await rows_of(session, query)


async def ended_rows(session: AsyncSession, department: str, limit: int) -> list[dict[str, Any]]:
    """Tasks neither to do nor decided (cancelled when their case was withdrawn or terminated),
    the most recently touched first."""
    query = (
        inbox_query()
        .where(
            tasks.c.department == department,
            tasks.c.status.not_in((*TO_DO, "decided")),
        )
        .order_by(tasks.c.last_activity_at.desc(), tasks.c.task_id)
        .limit(limit)
    )
    return await rows_of(session, query)


async def all_rows(session: AsyncSession, department: str, limit: int) -> list[dict[str, Any]]:
    """Every task of the department, work still to do first: unfinished tasks soonest due
    first, then decided ones most recently decided first, then cancelled ones."""
    rows = await to_do_rows(session, department, limit)
    if len(rows) < limit:
        rows += await decided_rows(session, department, limit - len(rows))
    if len(rows) < limit:
        rows += await ended_rows(session, department, limit - len(rows))
    return rows


# The urgency views in SQL, the same sets as domain.urgency.task_urgency gives for an open task
# with the case's warning: `today` is the local date, `soon_until` the last day whose working
# days left (from today) are within the due-soon and yellow thresholds (services.departments.inbox).


CASE_WARNING = tasks.c.case_warning_level


def overdue(today: date) -> ColumnElement[bool]:
    """Past its own due date, or its case's clocks are red or in statutory breach."""
    return sa.or_(tasks.c.due_date < today, CASE_WARNING.in_(SEVERE))


def due_soon_by_date(today: date, soon_until: date) -> ColumnElement[bool]:
    """Due between today and `soon_until` (the case not red / in breach): not yet overdue."""
    return sa.and_(
        tasks.c.due_date >= today,
        tasks.c.due_date <= soon_until,
        CASE_WARNING.not_in(SEVERE),
    )


def due_soon_by_case(soon_until: date) -> ColumnElement[bool]:
    """The case's clocks are yellow while its own due date is further off (or not yet set)."""
    return sa.and_(
        CASE_WARNING == "yellow",
        sa.or_(tasks.c.due_date > soon_until, tasks.c.due_date.is_(None)),
    )


def due_soon(today: date, soon_until: date) -> ColumnElement[bool]:
    return sa.or_(due_soon_by_date(today, soon_until), due_soon_by_case(soon_until))


async def due_soon_rows(
    session: AsyncSession, department: str, today: date, soon_until: date, limit: int
) -> list[dict[str, Any]]:
    """Open tasks due soon, soonest due first. Those due by `soon_until` all come before the
    ones a yellow case adds (due later or undated), so the first is an index range read and
    the second is needed only when the first does not fill the page."""
    rows = await inbox_rows(session, department, "open", limit, due_soon_by_date(today, soon_until))
    if len(rows) < limit:
        more = due_soon_by_case(soon_until)
        rows += await inbox_rows(session, department, "open", limit - len(rows), more)
    return rows


async def view_counts(
    session: AsyncSession, department: str, today: date, soon_until: date
) -> dict[str, int]:
    """How many tasks of the department each view holds (open, due_soon, overdue, decided):
    each a range of one index (`ix_tasks_inbox`, `ix_tasks_decided`), no case read."""
    open_query = sa.select(
        sa.func.count(),
        sa.func.count().filter(due_soon(today, soon_until)),
        sa.func.count().filter(overdue(today)),
    ).where(tasks.c.department == department, tasks.c.status == "open")
    opened, soon, late = (await session.execute(open_query)).one()
    decided_query = sa.select(sa.func.count()).where(
        tasks.c.department == department, tasks.c.status == "decided"
    )
    decided = (await session.execute(decided_query)).scalar_one()
    return {"open": opened, "due_soon": soon, "overdue": late, "decided": decided}


async def inbox_row(session: AsyncSession, task_id: str) -> dict[str, Any] | None:
    row = (await session.execute(inbox_query().where(tasks.c.task_id == task_id))).first()
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
            # A reviewer may type the applicant's number: only its masked form is kept.
            text=mask_text(text),
            attachments=mask_data(attachments),
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
    return await rows_of(session, query)
