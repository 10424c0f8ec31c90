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
from domain.library_figures import LibraryRow, library_rows, library_table
from domain.public_stats import PublicStats, last_month, public_stats
from domain.report_model import SlaReport
from infra.bootstrap import Deps
from services.leaders.reports import sla_report, today_local
from store import dashboard as store
from store.library import reuse_counts
from store.licences import verified_counts
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


async def dashboard(
    deps: Deps,
    *,
    start: date | None = None,
    end: date | None = None,
    matter: str | None = None,
    department: str | None = None,
    today: date | None = None,
) -> Dashboard:
    """The figures for cases submitted on days [start, end], of one matter or department, and
    the running cases' warnings now (read side by side)."""
    now = today or today_local()
    report, warnings, items, calendar, library = await asyncio.gather(
        sla_report(deps, start=start, end=end, matter=matter, department=department, today=today),
        _warnings(deps, matter, department),
        _supervision(deps, department, now),
        _calendar(deps, matter, department, now),
        library_figures(deps, start or date(2000, 1, 1), end or now, matter, department),
    )
    names = {m.code: m.name for m in deps.catalog.matters}
    counts = ((w.matter_code, w.level, w.n, w.provisional) for w in warnings)
    rows = warning_rows(counts, names)
    tables = [*dashboard_tables(report, rows, items), library_table(library)]
    return Dashboard(report, tuple(tables), calendar)


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
    report = await sla_report(deps, start=start, end=end, today=today, by="concluded")
    library = await library_figures(deps, start, end)
    return public_stats(deps.catalog, report, library[-1])
