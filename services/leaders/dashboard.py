"""The leadership dashboard and the public service statistics: the efficiency report
(:mod:`services.leaders.reports`) plus the running cases' warnings, as tables, and which
running cases' clocks are provisional because a year's official calendar is missing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, timedelta

from domain.calendar_source import missing_years
from domain.case_clocks import start_of_day
from domain.dashboard import SupervisionRow, Table, dashboard_tables, warning_rows
from domain.dashboard_trend import Week, trend_span, trend_table, weeks
from domain.library_figures import LibraryRow, library_rows, library_table
from domain.public_stats import PublicStats, last_month, public_stats
from domain.report_model import ReportScope, SlaReport
from infra.bootstrap import Deps
from services.leaders.reports import sla_report, today_local
from store import dashboard as store
from store.library import reuse_counts
from store.licences import verified_counts
from store.report_trend import weekly_counts
from store.reports import ReportQuery
from store.supervision import supervision_counts


@dataclass(frozen=True)
class CalendarNotice:
    """Running cases whose clocks are provisional (counted on weekdays only) and the years
    whose official calendar is missing: those they reach, and from
    `LIANBAN_CALENDAR_NEXT_YEAR_FROM` the coming one (as /readyz says)."""

    provisional: int
    missing_years: tuple[int, ...]


@dataclass(frozen=True)
class Dashboard:
    report: SlaReport
    tables: tuple[Table, ...]
    calendar: CalendarNotice | None = None  # None: every clock is on the official calendar

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)


async def _warnings(
    deps: Deps, matter: str | None, department: str | None
) -> list[store.WarningCount]:
    known = deps.calendar().years
    async with deps.sessions() as s:
        return await store.warning_counts(s, matter, department, known)


async def _calendar(
    deps: Deps, matter: str | None, department: str | None, today: date
) -> CalendarNotice | None:
    data = deps.calendar()
    async with deps.sessions() as s:
        found = await store.provisional_count(s, data.years, matter, department)
    missing = {*found.years, *missing_years(data, today, deps.settings.next_year_from)}
    if not found.n and not missing:
        return None
    return CalendarNotice(found.n, tuple(sorted(missing)))


async def dashboard(deps: Deps, scope: ReportScope = ReportScope()) -> Dashboard:
    """The figures for the cases of `scope` (submitted on its days, of its matter or
    department), and the running cases' warnings now (read side by side)."""
    now = scope.today or today_local()
    start, end, matter, department = scope.start, scope.end, scope.matter, scope.department
    report, warnings, items, calendar, trend, library = await asyncio.gather(
        sla_report(deps, scope),
        _warnings(deps, matter, department),
        _supervision(deps, department, now),
        _calendar(deps, matter, department, now),
        _trend(deps, scope, now),
        library_figures(deps, start or date(2000, 1, 1), end or now, matter, department),
    )
    names = {m.code: m.name for m in deps.catalog.matters}
    counts = ((w.matter_code, w.level, w.n, w.provisional) for w in warnings)
    rows = warning_rows(counts, names)
    tables = [*dashboard_tables(report, rows, items, trend), library_table(library)]
    return Dashboard(report, tuple(tables), calendar)


async def _trend(deps: Deps, scope: ReportScope, today: date) -> Table:
    """Volume and on-time rate per week of the period (its last weeks when it is long)."""
    start, end = scope.start, scope.end
    first, last = trend_span(start, end, today)
    query = ReportQuery(
        today=today,
        start=max(first, start) if start else first,
        end=min(last + timedelta(days=6), end) if end else last + timedelta(days=6),
        matter=scope.matter,
        department=scope.department,
    )
    async with deps.sessions() as s:
        counted = await weekly_counts(s, query)
    found = (Week(c.week, c.cases, c.on_time, c.overdue) for c in counted)
    return trend_table(weeks(first, last, found))


async def library_figures(
    deps: Deps, start: date, end: date, matter: str | None = None, department: str | None = None
) -> list[LibraryRow]:
    """Materials reused / not brought (cases submitted on days [start, end]) and licences
    verified on those days, per matter of the scope, and the total."""
    since, until = start_of_day(start), start_of_day(end + timedelta(days=1))
    async with deps.sessions() as s:
        reuses = await reuse_counts(s, since, until)
        verified = await verified_counts(s, start, end)
    scope = {
        m.code
        for m in deps.catalog.matters
        if (matter is None or m.code == matter)
        and (department is None or m.department(department) is not None)
    }
    names = {m.code: m.name for m in deps.catalog.matters}
    return library_rows(
        {k: v for k, v in reuses.items() if k in scope},
        {k: v for k, v in verified.items() if k in scope},
        names,
    )


async def _supervision(deps: Deps, department: str | None, today: date) -> list[SupervisionRow]:
    """Open supervision items now, per owner department (of the one department chosen)."""
    async with deps.sessions() as s:
        counts = await supervision_counts(s, today, department)
    return [SupervisionRow(c.owner or "center", c.open, c.overdue, c.escalated) for c in counts]


async def service_stats(deps: Deps, today: date | None = None) -> PublicStats:
    """Last calendar month's public statistics per matter (cases concluded in that month)."""
    start, end = last_month(today or today_local())
    report = await sla_report(deps, ReportScope(start, end, today=today), by="concluded")
    library = await library_figures(deps, start, end)
    return public_stats(deps.catalog, report, library[-1])
