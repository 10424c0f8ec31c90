"""The leadership dashboard (/dashboard): the center's figures for a period, a matter or a
department, each table under its chart (inline SVG), and each table as CSV.

For the center's leaders and its auditors (admins read like auditors). Figures come from the
efficiency report service (services/leaders), the same one /reports/sla answers with.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from domain.dashboard import Table, chart_data, shown, shown_columns, to_csv
from domain.report_model import ReportScope
from entrypoints.http.deps import DepsDep
from entrypoints.web.dashboard_words import in_words, note
from entrypoints.web.kpi_pages import alert_context
from entrypoints.web.session import PageError, PageUser, require_page_role
from entrypoints.web.templating import templates
from infra.bootstrap import Deps
from infra.tokens import Role
from services.leaders.dashboard import dashboard

router = APIRouter(include_in_schema=False)
DASHBOARD_ROLES = (Role.leader, Role.auditor, Role.admin)
Param = Annotated[str | None, Query(max_length=64)]
From = Annotated[str | None, Query(alias="from", max_length=10)]
To = Annotated[str | None, Query(alias="to", max_length=10)]


def _day(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PageError(422, f"{name}: 日期格式应为 YYYY-MM-DD, not {value!r}") from None


def _scope(
    deps: Deps, start: str | None, end: str | None, matter: str | None, department: str | None
) -> ReportScope:
    first, last = _day(start, "from"), _day(end, "to")
    if first and last and first > last:
        raise PageError(422, f"开始日期晚于结束日期 from {first} is after to {last}")
    if matter and deps.catalog.matter(matter) is None:
        raise PageError(422, f"未知事项 unknown matter {matter!r}")
    if department and department not in deps.catalog.departments:
        raise PageError(422, f"未知部门 unknown department {department!r}")
    return ReportScope(first, last, matter or None, department or None)


@dataclass(frozen=True)
class PageScope:
    """The period and scope a dashboard request asks for: checked (`report`, for the service)
    and as typed (`query`, for the links that keep it)."""

    report: ReportScope
    query: dict[str, str]


async def _page_scope(
    deps: DepsDep,
    user: PageUser,
    start: From = None,
    end: To = None,
    matter: Param = None,
    department: Param = None,
) -> PageScope:
    """Dependency of the page and its CSV: the caller may read the dashboard (403), then the
    period and scope are known (422)."""
    require_page_role(user, *DASHBOARD_ROLES)
    checked = _scope(deps, start, end, matter, department)
    typed = {"from": start, "to": end, "matter": matter, "department": department}
    return PageScope(checked, {k: v for k, v in typed.items() if v})


Scoped = Annotated[PageScope, Depends(_page_scope)]


def _chart(table: Table) -> str:
    """The table's chart as inline SVG (matplotlib; the same figures draw from a cache)."""
    # Imported here: matplotlib costs ~0.6 s at an API process's start, for a page that only
    # leaders open.
    from infra.charts.page_svg import bar_chart, series_key, trend_chart

    labels, series = chart_data(table)
    chart_id = f"chart-{table.name}"
    if table.chart.kind == "trend":
        (volume_name, volume), (rate_name, rates) = series
        return trend_chart(
            chart_id,
            table.chart.title,
            tuple(labels),
            tuple(int(v or 0) for v in volume),
            tuple(rates),
            (volume_name, rate_name),
        )
    rate = table.name == "overview" or all(
        c.unit == "rate" for c in table.columns if c.key in table.chart.series
    )
    return bar_chart(chart_id, table.chart.title, tuple(labels), series_key(series), rate)


@router.get("/dashboard")
async def dashboard_page(
    request: Request, deps: DepsDep, user: PageUser, scope: Scoped
) -> Response:
    dash = await dashboard(deps, scope.report)
    worded = [in_words(t) for t in dash.tables]  # the catalog's words; the CSV keeps the codes
    # Drawn off the event loop: a chart takes tens of milliseconds when not cached.
    charts = await asyncio.to_thread(lambda: [_chart(t) for t in worded])
    sections = [
        {
            "table": t,
            "row_keys": [row[0] for row in coded.rows],  # each row's code, for data-row
            "chart": chart,
            "columns": shown_columns(t),
            "cells": shown(t),
            "csv": f"/dashboard.csv?{urlencode({**scope.query, 'table': t.name})}",
        }
        for coded, t, chart in zip(dash.tables, worded, charts, strict=True)
    ]
    context = {
        "user": user,
        "report": dash.report,
        "calendar": dash.calendar,
        "sections": sections,
        "scope": scope.report,
        "query": scope.query,
        "matters": deps.catalog.matters,
        "departments": deps.catalog.departments,
        "notes": [note(n) for n in dash.report.not_measured],
        **await alert_context(deps, user),  # the alerts box and the KPI thresholds (kpi_pages)
    }
    return templates.TemplateResponse(request, "dashboard.html", context)


@router.get("/dashboard.csv")
async def dashboard_csv(
    deps: DepsDep, scope: Scoped, table: Annotated[str, Query(max_length=32)] = "overview"
) -> Response:
    """One of the dashboard's tables as CSV, for the same period and scope."""
    dash = await dashboard(deps, scope.report)
    found = dash.table(table)
    if found is None:
        raise PageError(404, f"没有此表 no table {table!r}")
    name = f"dashboard-{found.name}-{dash.report.as_of.isoformat()}.csv"
    return Response(
        to_csv(found).encode("utf-8-sig"),  # the BOM lets spreadsheets read Chinese as UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
