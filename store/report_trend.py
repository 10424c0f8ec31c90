"""The dashboard's weekly trend: per week of submission (Monday to Sunday, Asia/Shanghai), the
cases submitted and how many of them were settled on time or late, counted in SQL like the
efficiency report (`store.reports`: the same filters, the same rule for a late case)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from store.reports import ReportQuery, case_filter, clock_counts, local_day
from store.schema import cases, tasks


@dataclass(frozen=True)
class WeekCounts:
    week: date  # its Monday
    cases: int
    on_time: int
    overdue: int


def week_of(dialect: str, column: sa.Column[object]) -> ColumnElement[date]:
    """The Monday of the Asia/Shanghai week a UTC instant falls in."""
    if dialect == "postgresql":
        utc = sa.func.timezone("UTC", column, type_=sa.DateTime)
        local = utc + sa.literal_column("INTERVAL '8 hours'", sa.Interval)
        return sa.cast(sa.func.date_trunc("week", local), sa.Date)
    # SQLite: forward to the week's Sunday ("weekday 0" keeps a Sunday), back six days.
    return sa.func.date(column, "+8 hours", "weekday 0", "-6 days", type_=sa.Date)


async def weekly_counts(s: AsyncSession, q: ReportQuery) -> list[WeekCounts]:
    """Cases submitted in [q.start, q.end] by week; with a department, the cases it reviews."""
    dialect = s.get_bind().dialect.name
    week = week_of(dialect, cases.c.submitted_at).label("week")
    decided = sa.and_(cases.c.outcome.is_not(None), cases.c.concluded_at.is_not(None))
    running = sa.and_(cases.c.accepted_at.is_not(None), cases.c.concluded_at.is_(None))
    on_time, _, overdue, _ = clock_counts(
        decided, running, local_day(dialect, cases.c.concluded_at), cases.c.promised_due, q.today
    )
    where = case_filter(q)
    if q.department is not None:
        reviews = sa.select(tasks.c.task_id).where(
            tasks.c.case_id == cases.c.case_id, tasks.c.department == q.department
        )
        where.append(sa.exists(reviews))
    query = (
        sa.select(week, sa.func.count().label("cases"), on_time, overdue)
        .where(*where)
        .group_by(week)
        .order_by(week)
    )
    rows = (await s.execute(query)).mappings()
    return [
        WeekCounts(_day(r["week"]), int(r["cases"]), int(r["on_time"]), int(r["overdue"]))
        for r in rows
    ]


def _day(value: object) -> date:
    # SQLite answers the day as text.
    return value if isinstance(value, date) else date.fromisoformat(str(value))
