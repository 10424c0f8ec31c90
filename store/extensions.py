"""The government head's reads: running joint cases without an extension (the ones whose
clocks warn or whose statutory due date is near first), and the extensions granted."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from events.contracts import ExtensionGranted
from store.dashboard import RUNNING, WARNING_LEVELS
from store.reports import OPEN_TASK
from store.schema import case_events, cases, tasks

_COLUMNS = (
    cases.c.case_id,
    cases.c.matter_code,
    cases.c.title,
    cases.c.status,
    cases.c.accepted_at,
    cases.c.statutory_due,
    cases.c.promised_due,
    cases.c.warning_level,
    cases.c.provisional,
    cases.c.paused,
    cases.c.extension_days,
)


async def unextended_joint_cases(
    s: AsyncSession, joint: Collection[str], due_by: date | None, limit: int
) -> list[dict[str, Any]]:
    """Running, accepted joint cases (matters `joint`) with no extension, soonest statutory
    due first. With `due_by`, only those at yellow, red or breach or due on or before it."""
    query = (
        sa.select(*_COLUMNS)
        .where(
            cases.c.status.in_(RUNNING),
            cases.c.matter_code.in_(list(joint)),
            cases.c.accepted_at.is_not(None),
            cases.c.concluded_at.is_(None),
            cases.c.extension_days == 0,
        )
        .order_by(cases.c.statutory_due.is_(None), cases.c.statutory_due, cases.c.case_id)
        .limit(limit)
    )
    if due_by is not None:
        query = query.where(
            sa.or_(cases.c.warning_level.in_(WARNING_LEVELS), cases.c.statutory_due <= due_by)
        )
    return [dict(r._mapping) for r in await s.execute(query)]


async def open_departments(s: AsyncSession, case_ids: Collection[str]) -> dict[str, list[str]]:
    """Each case's departments whose review is still to do (open or awaiting corrections)."""
    if not case_ids:
        return {}
    rows = await s.execute(
        sa.select(tasks.c.case_id, tasks.c.department)
        .where(tasks.c.case_id.in_(list(case_ids)), tasks.c.status.in_(OPEN_TASK))
        .order_by(tasks.c.case_id, tasks.c.department)
    )
    found: dict[str, list[str]] = defaultdict(list)
    for case_id, department in rows:
        found[case_id].append(department)
    return dict(found)


async def granted_extensions(
    s: AsyncSession, joint: Collection[str], limit: int
) -> list[dict[str, Any]]:
    """The extensions granted on joint cases, most recent first: the case as it stands now
    and the `ExtensionGranted` event (approver, role, reason, days, when)."""
    query = (
        sa.select(
            *_COLUMNS,
            case_events.c.occurred_at.label("granted_at"),
            case_events.c.data.label("extension"),
        )
        .join(cases, cases.c.case_id == case_events.c.case_id)
        .where(
            case_events.c.event_type == ExtensionGranted.EVENT_TYPE,
            cases.c.matter_code.in_(list(joint)),
        )
        .order_by(case_events.c.id.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in await s.execute(query)]
