"""Read-model rows for inbox tests: a case and its one department task, inserted directly."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

import sqlalchemy as sa

from infra.bootstrap import Deps
from store.schema import cases, tasks
from tests.utils.rows import case_row

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
_serial = count()

Pair = tuple[dict[str, Any], dict[str, Any]]


def case_and_task(
    dept: str,
    due: date | None,
    status: str = "open",
    *,
    case_level: str = "none",
    decided_at: datetime | None = None,
) -> Pair:
    """A case in review and its one task; `assigned_at` grows with every call, so tasks due
    the same day are listed in the order they were made."""
    n = next(_serial)
    case_id = f"LB-Q{uuid.uuid4().hex[:12].upper()}"
    assigned = T0 + timedelta(minutes=n)
    case = case_row(case_id, assigned, title=f"case {n}", warning_level=case_level)
    task = {
        "task_id": f"{case_id}.{dept}",
        "case_id": case_id,
        "department": dept,
        "status": status,
        "checks": [],
        "reasons": [],
        "conditions": [],
        "assigned_at": assigned,
        "decided_at": decided_at,
        "due_date": due,
        "last_activity_at": decided_at or assigned,
        "case_warning_level": case_level,  # kept beside the task as activities/clocks.py does
        "case_title": case["title"],
    }
    return case, task


async def insert(deps: Deps, pairs: list[Pair]) -> list[str]:
    """Insert the cases and tasks; returns the task ids in order."""
    async with deps.sessions() as s, s.begin():
        await s.execute(sa.insert(cases), [c for c, _ in pairs])
        await s.execute(sa.insert(tasks), [t for _, t in pairs])
    return [t["task_id"] for _, t in pairs]
