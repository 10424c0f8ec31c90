"""The dashboard's one read the efficiency report does not make: cases running now, by matter
and warning level (yellow, red, statutory breach), as their clocks last reported them."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from domain.case_status import CaseStatus
from store.reports import OPEN_TASK
from store.schema import cases, tasks

# A running case: accepted, not concluded, and not ended another way.
_NOT_RUNNING = (CaseStatus.not_accepted, CaseStatus.withdrawn, CaseStatus.terminated)


@dataclass(frozen=True)
class WarningCount:
    """Running cases of one matter at one warning level (none, yellow, red, breach)."""

    matter_code: str
    level: str
    n: int


async def warning_counts(
    s: AsyncSession, matter: str | None = None, department: str | None = None
) -> list[WarningCount]:
    """Running cases now, per matter and warning level; with ``department``, only the cases
    that department still has an open task on (the period does not apply: this is now)."""
    query = (
        sa.select(cases.c.matter_code, cases.c.warning_level, sa.func.count())
        .where(
            cases.c.accepted_at.is_not(None),
            cases.c.concluded_at.is_(None),
            cases.c.status.not_in(_NOT_RUNNING),
        )
        .group_by(cases.c.matter_code, cases.c.warning_level)
    )
    if matter is not None:
        query = query.where(cases.c.matter_code == matter)
    if department is not None:
        mine = sa.select(tasks.c.case_id).where(
            tasks.c.case_id == cases.c.case_id,
            tasks.c.department == department,
            tasks.c.status.in_(OPEN_TASK),
        )
        query = query.where(mine.exists())
    rows = (await s.execute(query)).all()
    return [WarningCount(m, level or "none", int(n)) for m, level, n in rows]
