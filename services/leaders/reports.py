"""Reports: the efficiency (SLA) report and one case's timeline. Reads through `store.reports`
and `store.cases`, computes with the pure `domain.reports` and `domain.case_timeline`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, Literal, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import CalendarData, working_calendar
from domain.case_clocks import local_date
from domain.case_timeline import Timeline, build_timeline
from domain.report_model import ReportScope, SlaInput, SlaReport, Span
from domain.reports import build_sla_report, working_day_ranks
from infra.bootstrap import Deps
from store import reports as store
from store.cases import case_log, case_tasks, get_case

T = TypeVar("T")


# Working-day ranks sent to PostgreSQL cover days from here to a few years past today: no case
# of this system predates it, and a day outside leaves its step out of the averages only.
RANK_ORIGIN = date(2000, 1, 1)
RANK_YEARS_AHEAD = 5


@lru_cache(maxsize=4)
def rank_table(data: CalendarData, today: date) -> store.RankTable:
    """The working-day rank of every day the report can meet (≈ 10,000 integers)."""
    last = date(today.year + RANK_YEARS_AHEAD, 12, 31)
    ranks = working_day_ranks(working_calendar(data), RANK_ORIGIN, last)
    return store.RankTable(RANK_ORIGIN, ranks)


def today_local() -> date:
    """Today in Asia/Shanghai, the day every limit is counted in."""
    return local_date(datetime.now(UTC))


async def _read(deps: Deps, query: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async with deps.sessions() as s:
        return await query(s)


async def _nothing() -> list[Span]:
    return []


async def read_sla(deps: Deps, q: store.ReportQuery) -> SlaInput:
    """The report's reads, each in its own session so PostgreSQL runs them side by side.

    With a rank table the counts carry the working-day sums; without one (SQLite) the
    (start, end) pairs are read too.
    """

    def run(fn: Callable[[AsyncSession, store.ReportQuery], Awaitable[T]]) -> Awaitable[T]:
        return _read(deps, lambda s: fn(s, q))

    def spans(fn: Callable[[AsyncSession, store.ReportQuery], Awaitable[list[Span]]]) -> Any:
        return _nothing() if q.ranks is not None else run(fn)

    if q.department is not None:
        # A department's own staff see their row only: the case-level reads are not needed.
        counts, steps, asked = await asyncio.gather(
            run(store.task_counts), spans(store.task_spans), run(store.correction_counts)
        )
        return SlaInput(
            task_counts=tuple(counts), task_spans=tuple(steps), corrections=tuple(asked)
        )
    results = await asyncio.gather(
        run(store.case_counts),
        spans(store.case_spans),
        run(store.task_counts),
        spans(store.task_spans),
        run(store.rating_counts),
        run(store.correction_counts),
    )
    return SlaInput(*(tuple(r) for r in results))


async def sla_report(
    deps: Deps,
    scope: ReportScope = ReportScope(),
    *,
    by: Literal["submitted", "concluded"] = "submitted",
) -> SlaReport:
    """The efficiency report for the cases of `scope` (by default every case, as of today).

    Args:
        deps: Shared dependencies (database, catalog, calendar).
        scope: The period (first and last local day, inclusive; None: open-ended), the one
            matter, the one department (its own staff reading their own figures: its row only)
            and "now" for open cases (default: today in Asia/Shanghai).
        by: Select cases by the day they were submitted (the report) or concluded (what was
            handled in the period: the public statistics).
    """
    today = scope.today or today_local()
    calendar = deps.calendar()
    ranks = rank_table(calendar, today) if deps.engine.dialect.name == "postgresql" else None
    known = tuple(m.code for m in deps.catalog.matters)
    q = store.ReportQuery(
        today, scope.start, scope.end, scope.matter, scope.department, ranks, by, known
    )
    data = await read_sla(deps, q)
    return build_sla_report(
        deps.catalog,
        data,
        working_calendar(calendar),
        as_of=q.today,
        start=scope.start,
        end=scope.end,
        matter=scope.matter,
        department=scope.department,
    )


async def case_timeline(deps: Deps, case_id: str, today: date | None = None) -> Timeline | None:
    """The case's steps against their limits; None when there is no such case."""
    async with deps.sessions() as s:
        case = await get_case(s, case_id)
        if case is None:
            return None
        tasks = await case_tasks(s, case_id)
        events = await case_log(s, case_id)
    cal = working_calendar(deps.calendar())
    return build_timeline(case, tasks, events, cal, today or today_local())
