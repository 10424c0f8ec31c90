"""A department's inbox as Tasklist lists it: one view, narrowed by matter, urgency, who holds
the task and a search, sorted by due date or by arrival, one page at a time.

The urgency of an open task in SQL is the rule of `domain.urgency.task_urgency` with the
case's warning kept beside the task (`tasks.case_warning_level`): tests/integration/
test_inbox_listing.py checks the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from store.cases import CASE_NUMBER
from store.inbox import CASE_WARNING, SEVERE, due_soon, inbox_query, overdue, rows_of
from store.schema import cases, task_assignments, tasks

Sort = Literal["due", "received"]
WARNED = ("yellow", *SEVERE)


@dataclass(frozen=True)
class Listing:
    """What to list. `soon_until` / `yellow_until`: the last due dates that make an open task
    due soon / yellow from `today` (services.departments.inbox computes them)."""

    department: str
    view: str  # open | due_soon | overdue | decided
    today: date
    soon_until: date
    yellow_until: date
    matter: str | None = None
    urgency: str | None = None  # none | yellow | red | breach (open tasks)
    holder: str | None = None  # only tasks held by this person
    unclaimed: bool = False  # only tasks nobody holds
    text: str | None = None  # case number prefix or words of the title
    sort: Sort = "due"
    offset: int = 0
    limit: int = 50


def urgency_is(level: str, today: date, yellow_until: date) -> ColumnElement[bool]:
    """Open tasks whose warning colour is `level` (the case's warning when more severe)."""
    due = tasks.c.due_date
    not_late = sa.or_(due.is_(None), due >= today)
    if level == "breach":
        return CASE_WARNING == "breach"
    if level == "red":
        return sa.and_(CASE_WARNING != "breach", sa.or_(CASE_WARNING == "red", due < today))
    if level == "yellow":
        own = sa.and_(due.is_not(None), due <= yellow_until)
        return sa.and_(CASE_WARNING.not_in(SEVERE), not_late, sa.or_(CASE_WARNING == "yellow", own))
    return sa.and_(CASE_WARNING.not_in(WARNED), sa.or_(due.is_(None), due > yellow_until))


def _view(q: Listing) -> list[ColumnElement[bool]]:
    if q.view == "decided":
        return [tasks.c.status == "decided"]
    where = [tasks.c.status == "open"]
    if q.view == "due_soon":
        where.append(due_soon(q.today, q.soon_until))
    elif q.view == "overdue":
        where.append(overdue(q.today))
    if q.urgency:
        where.append(urgency_is(q.urgency, q.today, q.yellow_until))
    return where


def _narrowed(q: Listing) -> list[ColumnElement[bool]]:
    where = [tasks.c.department == q.department, *_view(q)]
    if q.matter:
        where.append(cases.c.matter_code == q.matter)
    # (NOT) EXISTS rather than the outer join's assignee: the planner then walks the view's
    # index in order and stops at a page, where "assignee IS NULL" made it sort every task.
    claim = task_assignments.alias("claim")  # the listing joins the table itself too
    held = sa.select(claim.c.task_id).where(claim.c.task_id == tasks.c.task_id)
    if q.holder:
        where.append(held.where(claim.c.assignee == q.holder).exists())
    elif q.unclaimed:
        where.append(~held.exists())
    if q.text:
        where.append(text_matches(q.text))
    return where


def text_matches(text: str) -> ColumnElement[bool]:
    """A case number's start or words of the title, from the task's own columns (no case
    read: the department's tasks are scanned in the listing's order, and it stops at a page)."""
    if CASE_NUMBER.fullmatch(text):
        return tasks.c.case_id.startswith(text.upper(), autoescape=True)
    return tasks.c.case_title.icontains(text, autoescape=True)


def _order(q: Listing) -> list[Any]:
    if q.sort == "received":
        return [tasks.c.assigned_at.desc(), tasks.c.task_id.desc()]
    if q.view == "decided":
        return [tasks.c.decided_at.desc(), tasks.c.task_id]
    return [tasks.c.due_date.asc().nulls_last(), tasks.c.assigned_at, tasks.c.task_id]


async def listing(session: AsyncSession, q: Listing) -> tuple[list[dict[str, Any]], bool]:
    """One page of the listing, and whether another page follows."""
    query = (
        inbox_query().where(*_narrowed(q)).order_by(*_order(q)).offset(q.offset).limit(q.limit + 1)
    )
    rows = await rows_of(session, query)
    return rows[: q.limit], len(rows) > q.limit
