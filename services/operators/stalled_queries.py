"""The read-model half of stalled-case detection: one indexed query per reason.

Each returns plain rows; `stalled` turns them into items and asks Temporal about the few that
need live details. Every query starts from an index (`ix_tasks_idle`, `ix_cases_warning`,
`ix_dead_letters_pending`, `ix_case_events_type`), so 100k open cases cost no full scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from domain.case_status import CaseStatus
from events.contracts import ClockPaused, ClockResumed
from store.schema import (
    activity_incidents,
    case_events,
    cases,
    dead_letters,
    metadata,
    operator_actions,
    tasks,
)
from workflows.review import delivery_activity_id

OPEN_CASE = (CaseStatus.submitted, CaseStatus.in_review)
WARNING_LEVELS = ("yellow", "red", "breach")


@dataclass(frozen=True)
class Scope:
    """The operator's filter, as the queries apply it."""

    matter: str | None = None
    department: str | None = None
    limit: int = 200


def _matter(query: Any, scope: Scope) -> Any:
    return query.where(cases.c.matter_code == scope.matter) if scope.matter else query


def _rows(result: Any) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in result]


def _recent_in(table_name: str, time_col: str, cutoff: datetime) -> Any | None:
    """NOT EXISTS a newer row in the inbox's tables (claims, comments) when they exist."""
    table = metadata.tables.get(table_name)
    if table is None or "task_id" not in table.c or time_col not in table.c:
        return None
    recent = sa.select(table.c.task_id).where(
        table.c.task_id == tasks.c.task_id, table.c[time_col] >= cutoff
    )
    return ~sa.exists(recent)


async def idle_tasks(s: AsyncSession, scope: Scope, cutoff: datetime) -> list[dict[str, Any]]:
    query = (
        sa.select(
            tasks.c.task_id,
            tasks.c.case_id,
            tasks.c.department,
            tasks.c.last_activity_at,
            tasks.c.due_date,
            cases.c.matter_code,
        )
        .join(cases, cases.c.case_id == tasks.c.case_id)
        .where(
            tasks.c.status == "open",
            tasks.c.last_activity_at < cutoff,
            cases.c.status == CaseStatus.in_review,
        )
    )
    for extra in (
        _recent_in("task_assignments", "assigned_at", cutoff),
        _recent_in("task_comments", "created_at", cutoff),
    ):
        if extra is not None:
            query = query.where(extra)
    if scope.department:
        query = query.where(tasks.c.department == scope.department)
    query = _matter(query, scope).order_by(tasks.c.last_activity_at).limit(scope.limit)
    return _rows(await s.execute(query))


async def incidents(s: AsyncSession, scope: Scope) -> list[dict[str, Any]]:
    query = (
        sa.select(activity_incidents, cases.c.matter_code)
        .join(cases, cases.c.case_id == activity_incidents.c.case_id)
        .where(cases.c.status.in_(OPEN_CASE))
    )
    if scope.department:
        # The first shape's child review, or a delivery inside the case (workflows.review).
        query = query.where(
            sa.or_(
                activity_incidents.c.workflow_id.like(f"%/review/{scope.department}"),
                activity_incidents.c.activity_id == delivery_activity_id(scope.department),
            )
        )
    query = _matter(query, scope).order_by(activity_incidents.c.updated_at).limit(scope.limit)
    return _rows(await s.execute(query))


async def forget_incident(s: AsyncSession, workflow_id: str, activity_id: str) -> None:
    await s.execute(
        sa.delete(activity_incidents).where(
            activity_incidents.c.workflow_id == workflow_id,
            activity_incidents.c.activity_id == activity_id,
        )
    )


async def pending_dead_letters(s: AsyncSession, scope: Scope) -> list[dict[str, Any]]:
    query = (
        sa.select(
            dead_letters.c.id,
            dead_letters.c.case_id,
            dead_letters.c.source_topic,
            dead_letters.c.raw,
            dead_letters.c.error,
            dead_letters.c.detail,
            dead_letters.c.created_at,
            cases.c.matter_code,
        )
        .join(cases, cases.c.case_id == dead_letters.c.case_id)
        .where(dead_letters.c.redriven_at.is_(None), cases.c.status.in_(OPEN_CASE))
    )
    query = _matter(query, scope).order_by(dead_letters.c.id).limit(scope.limit)
    return _rows(await s.execute(query))


async def pause_events(s: AsyncSession, scope: Scope) -> list[dict[str, Any]]:
    """ClockPaused events of cases in review that no later ClockResumed (same notice) ended,
    in order: only the open pauses, not every pause a case in review ever had (at 100,000
    cases, 2.5x fewer rows to decode; `bench.scale`)."""
    resumed = case_events.alias("resumed")
    ended = sa.select(resumed.c.id).where(
        resumed.c.event_type == ClockResumed.EVENT_TYPE,
        resumed.c.case_id == case_events.c.case_id,
        resumed.c.id > case_events.c.id,
        resumed.c.data["notice_ref"].as_string() == case_events.c.data["notice_ref"].as_string(),
    )
    query = (
        sa.select(
            case_events.c.case_id,
            case_events.c.event_type,
            case_events.c.data,
            case_events.c.occurred_at,
            cases.c.matter_code,
        )
        .join(cases, cases.c.case_id == case_events.c.case_id)
        .where(
            case_events.c.event_type == ClockPaused.EVENT_TYPE,
            cases.c.status == CaseStatus.in_review,
            ~sa.exists(ended),
        )
    )
    return _rows(await s.execute(_matter(query, scope).order_by(case_events.c.id)))


async def unfollowed_warnings(s: AsyncSession, scope: Scope) -> list[dict[str, Any]]:
    """Cases in review at a warning level no operator action has followed up yet."""
    followed = sa.select(operator_actions.c.id).where(
        operator_actions.c.case_id == cases.c.case_id,
        operator_actions.c.warning_level == cases.c.warning_level,
        operator_actions.c.result == "done",
    )
    query = sa.select(
        cases.c.case_id, cases.c.matter_code, cases.c.warning_level, cases.c.clock
    ).where(
        cases.c.status == CaseStatus.in_review,
        cases.c.warning_level.in_(WARNING_LEVELS),
        ~sa.exists(followed),
    )
    return _rows(await s.execute(_matter(query, scope).limit(scope.limit)))


async def cases_by_id(s: AsyncSession, case_ids: list[str]) -> dict[str, dict[str, Any]]:
    if not case_ids:
        return {}
    query = sa.select(cases.c.case_id, cases.c.matter_code, cases.c.status).where(
        cases.c.case_id.in_(case_ids)
    )
    return {r["case_id"]: r for r in _rows(await s.execute(query))}


async def cases_with_open_task(s: AsyncSession, department: str, case_ids: list[str]) -> set[str]:
    """Of `case_ids`, those where `department` still has an open task."""
    if not case_ids:
        return set()
    query = sa.select(tasks.c.case_id).where(
        tasks.c.department == department,
        tasks.c.status == "open",
        tasks.c.case_id.in_(case_ids),
    )
    return {r[0] for r in await s.execute(query)}
