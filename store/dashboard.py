"""The dashboard's one read the efficiency report does not make: cases running now, by matter
and warning level (yellow, red, statutory breach), as their clocks last reported them."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from domain.case_status import CaseStatus
from store.reports import OPEN_TASK
from store.schema import cases, tasks

# A running case: one of these statuses, accepted, not concluded. Listed (not "not ended")
# with the levels shown so PostgreSQL reads ix_cases_warning (status, warning_level) and only
# the ~18 % of cases that warn: 50 ms on one core at 100,000 cases, where a scan of the wide
# rows took 80 ms on three (and slowed the report's reads running beside it).
RUNNING = (
    CaseStatus.submitted,
    CaseStatus.pre_review,
    CaseStatus.correction_requested,
    CaseStatus.in_review,
)
WARNING_LEVELS = ("yellow", "red", "breach")


@dataclass(frozen=True)
class WarningCount:
    """Running cases of one matter at one warning level (yellow, red, breach); `provisional`
    of them have a due date in a year whose official calendar is not loaded."""

    matter_code: str
    level: str
    n: int
    provisional: int = 0


@dataclass(frozen=True)
class ProvisionalCount:
    """Running cases whose clocks are provisional, and the unknown years their dates reach."""

    n: int
    years: tuple[int, ...]


def _provisional(known: Collection[int]) -> sa.ColumnElement[bool]:
    """A running case's clocks are provisional: its workflow said so, or a due date lies in a
    year without the official calendar now (weekdays only), as the inbox tells its tasks."""
    return sa.or_(
        cases.c.provisional.is_(True),
        sa.extract("year", cases.c.statutory_due).not_in(list(known)),
        sa.extract("year", cases.c.promised_due).not_in(list(known)),
    )


def _running(query: Any, matter: str | None, department: str | None) -> Any:
    query = query.where(
        cases.c.status.in_(RUNNING),
        cases.c.accepted_at.is_not(None),
        cases.c.concluded_at.is_(None),
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
    return query


async def warning_counts(
    s: AsyncSession,
    matter: str | None = None,
    department: str | None = None,
    known_years: Collection[int] = (),
) -> list[WarningCount]:
    """Running cases now at yellow, red or breach, per matter and level, and how many of them
    are provisional (a due date outside `known_years`, or so recorded); with ``department``,
    only the cases that department still has an open task on (the period does not apply:
    this is now)."""
    provisional = sa.func.sum(sa.case((_provisional(known_years), 1), else_=0))
    query = _running(
        sa.select(cases.c.matter_code, cases.c.warning_level, sa.func.count(), provisional)
        .where(cases.c.warning_level.in_(WARNING_LEVELS))
        .group_by(cases.c.matter_code, cases.c.warning_level),
        matter,
        department,
    )
    rows = (await s.execute(query)).all()
    return [WarningCount(m, level, int(n), int(p or 0)) for m, level, n, p in rows]


async def provisional_count(
    s: AsyncSession,
    known_years: Collection[int],
    matter: str | None = None,
    department: str | None = None,
) -> ProvisionalCount:
    """Running cases (of any warning level) whose clocks are provisional, scoped like
    `warning_counts`, and the years outside `known_years` their due dates reach."""
    statutory = sa.extract("year", cases.c.statutory_due)
    promised = sa.extract("year", cases.c.promised_due)
    query = _running(
        sa.select(statutory, promised, sa.func.count())
        .where(_provisional(known_years))
        .group_by(statutory, promised),
        matter,
        department,
    )
    n, years = 0, set()
    for statutory_year, promised_year, count in (await s.execute(query)).all():
        n += int(count)
        years |= {int(y) for y in (statutory_year, promised_year) if y is not None}
    return ProvisionalCount(n, tuple(sorted(years - set(known_years))))


async def running_by_level(s: AsyncSession) -> list[tuple[str, str, int]]:
    """Running cases per matter and warning level (`none` included): the metrics' gauges."""
    query = _running(
        sa.select(cases.c.matter_code, cases.c.warning_level, sa.func.count()).group_by(
            cases.c.matter_code, cases.c.warning_level
        ),
        None,
        None,
    )
    return [(str(m), str(level), int(n)) for m, level, n in (await s.execute(query)).all()]
