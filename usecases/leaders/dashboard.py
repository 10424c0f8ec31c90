"""The leadership dashboard and the public service statistics: the efficiency report
(:mod:`usecases.leaders.reports`) plus the running cases' warnings, as tables."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date

from domain.dashboard import SupervisionRow, Table, dashboard_tables, warning_rows
from domain.public_stats import PublicStats, last_month, public_stats
from domain.report_model import SlaReport
from infra.bootstrap import Deps
from store import dashboard as store
from store.supervision import supervision_counts
from usecases.leaders.reports import sla_report, today_local


@dataclass(frozen=True)
class Dashboard:
    report: SlaReport
    tables: tuple[Table, ...]

    def table(self, name: str) -> Table | None:
        return next((t for t in self.tables if t.name == name), None)


async def _warnings(
    deps: Deps, matter: str | None, department: str | None
) -> list[store.WarningCount]:
    async with deps.sessions() as s:
        return await store.warning_counts(s, matter, department)


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
    report, warnings, items = await asyncio.gather(
        sla_report(deps, start=start, end=end, matter=matter, department=department, today=today),
        _warnings(deps, matter, department),
        _supervision(deps, department, today or today_local()),
    )
    names = {m.code: m.name for m in deps.catalog.matters}
    rows = warning_rows(((w.matter_code, w.level, w.n) for w in warnings), names)
    return Dashboard(report, tuple(dashboard_tables(report, rows, items)))


async def _supervision(deps: Deps, department: str | None, today: date) -> list[SupervisionRow]:
    """Open supervision items now, per owner department (of the one department chosen)."""
    async with deps.sessions() as s:
        counts = await supervision_counts(s, today, department)
    return [SupervisionRow(c.owner or "center", c.open, c.overdue, c.escalated) for c in counts]


async def service_stats(deps: Deps, today: date | None = None) -> PublicStats:
    """Last calendar month's public statistics per matter (cases concluded in that month)."""
    start, end = last_month(today or today_local())
    report = await sla_report(deps, start=start, end=end, today=today, by="concluded")
    return public_stats(deps.catalog, report)
