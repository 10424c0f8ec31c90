"""The dashboard and the public statistics over rows written directly (the report queries'
November 2026, tests/integration/test_report_queries.py, plus two more fire cases), on SQLite
and PostgreSQL: the tables are the report service's figures, the warnings count running cases
only, the public figures withhold anything from fewer than 5 cases, and the CSV export is the
table."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from domain.public_stats import MIN_CASES
from domain.report_model import ReportScope
from entrypoints.devstack.postgres import postgres_database
from entrypoints.http.app import create_app
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings
from services.leaders.dashboard import CalendarNotice, dashboard, service_stats
from services.leaders.reports import sla_report
from store.schema import cases
from tests.integration.test_report_queries import DUE, FIRE, IND, NOV, TODAY, _fill, at, case, done
from tests.utils.auth import bearer

DECEMBER = date(2026, 12, 3)  # "last month" is November
MORE = [  # two more fire cases decided in November: six in all, enough to publish
    case("K", FIRE, at("2026-11-02"), **DUE, **done(at("2026-11-10"))),
    case("L", FIRE, at("2026-11-02"), **DUE, **done(at("2026-11-20"))),
]
LATE = {"accepted_at": at("2026-11-18"), "statutory_due": date(2027, 1, 25),
        "promised_due": date(2026, 12, 9)}  # fmt: skip
WARNINGS = {"D": "yellow", "E": "red", "J": "breach", "C": "red"}  # C is concluded: not counted


async def _more(deps: Deps) -> None:
    async with deps.sessions() as s, s.begin():
        await s.execute(sa.insert(cases), MORE)
        for case_id, level in WARNINGS.items():
            where = cases.c.case_id == case_id
            await s.execute(sa.update(cases).where(where).values(warning_level=level))


@pytest.fixture(params=["sqlite", "postgresql"])
async def deps(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Deps]:
    async def built(url: str) -> Deps:
        d = await bootstrap(
            Settings(database_url=url, calendar_dir=None), temporal=False, migrate=True
        )
        await _fill(d)
        await _more(d)
        return d

    if request.param == "sqlite":
        d = await built(f"sqlite+aiosqlite:///{tmp_path / 'dash.db'}")
        yield d
        await d.close()
        return
    async with postgres_database() as url:
        d = await built(url)
        yield d
        await d.close()


async def test_tables_are_the_report_figures(deps: Deps) -> None:
    dash = await dashboard(deps, NOV)
    report = await sla_report(deps, NOV)
    names = ["overview", "trend", "matters", "matter_service", "departments", "warnings"]
    assert [t.name for t in dash.tables] == [*names, "supervision", "library"]
    overview = dash.table("overview")
    assert overview is not None and report.total is not None
    figures = dict(zip(overview.column("figure"), overview.column("value"), strict=True))
    assert figures["cases"] == report.total.cases == 11
    assert figures["on_time_rate"] == report.total.on_time_rate
    assert figures["overdue"] == report.total.overdue
    assert figures["avg_working_days"] == report.total.avg_working_days
    assert figures["satisfaction"] == report.total.satisfaction
    # Window submissions (B, I) per case: the recorded in-person visits.
    assert figures["in_person_per_case"] == pytest.approx(2 / 11)
    matters = dash.table("matters")
    assert matters is not None
    fire = dict(
        zip(
            (c.key for c in matters.columns),
            matters.rows[matters.column("key").index(FIRE)],
            strict=True,
        )
    )
    assert fire["cases"] == 9 and fire["on_time_rate"] == 3 / 6  # A B K; C D L late
    assert (
        fire["avg_working_days"]
        == next(r for r in report.matters if r.key == FIRE).avg_working_days
    )
    departments = dash.table("departments")
    assert departments is not None and "fire" in departments.column("key")
    # The weekly trend splits the same cases by week of submission (Mondays, Beijing time).
    trend = dash.table("trend")
    assert trend is not None and trend.column("week")[0] == "2026-10-26"  # 1 Nov is a Sunday
    assert trend.column("week")[-1] == "2026-11-30"
    assert sum(int(n or 0) for n in trend.column("cases")) == report.total.cases
    assert sum(int(n or 0) for n in trend.column("settled")) == report.total.settled


async def test_warnings_count_running_cases_now(deps: Deps) -> None:
    dash = await dashboard(deps, ReportScope(today=TODAY))
    warnings = dash.table("warnings")
    assert warnings is not None
    rows = {r[0]: r[2:5] for r in warnings.rows}
    assert rows == {FIRE: (1, 1, 0), IND: (0, 0, 1), "ALL": (1, 1, 1)}
    assert warnings.column("provisional") == [0, 0, 0]  # every due date in 2026: known
    # Only the cases fire still has an open task on: D, E (fire) and J (fire open, env decided).
    fire = (await dashboard(deps, ReportScope(department="fire", today=TODAY))).table("warnings")
    assert fire is not None and fire.rows[-1][2:5] == (1, 1, 1)
    env = (await dashboard(deps, ReportScope(department="env", today=TODAY))).table("warnings")
    assert env is not None and env.rows == (("ALL", "全部 All", 0, 0, 0, 0),)
    # A department's dashboard: its row is the overview, no matter table.
    scoped = await dashboard(deps, replace(NOV, department="env"))
    scoped_names = ["overview", "trend", "departments", "warnings", "supervision", "library"]
    assert [t.name for t in scoped.tables] == scoped_names


async def test_provisional_clocks_are_counted_and_the_missing_year_named(deps: Deps) -> None:
    # Before 1 November with every due date in 2026: nothing to say.
    assert (await dashboard(deps, ReportScope(today=date(2026, 10, 1)))).calendar is None
    # From 1 November (LIANBAN_CALENDAR_NEXT_YEAR_FROM) 2027 must be loaded; no clock reaches it.
    assert (await dashboard(deps, ReportScope(today=TODAY))).calendar == CalendarNotice(0, (2027,))
    async with deps.sessions() as s, s.begin():
        # E (red) now reaches into 2027; D (yellow) was recorded provisional by its workflow;
        # P is running with no warning and reaches into 2027 too.
        e, d = cases.c.case_id == "E", cases.c.case_id == "D"
        await s.execute(sa.update(cases).where(e).values(statutory_due=date(2027, 1, 12)))
        await s.execute(sa.update(cases).where(d).values(provisional=True))
        await s.execute(sa.insert(cases), [case("P", FIRE, at("2026-11-18"), **LATE)])
    dash = await dashboard(deps, ReportScope(today=date(2026, 10, 1)))
    # The year a clock reaches is named even before 1 November.
    assert dash.calendar == CalendarNotice(3, (2027,))
    warnings = dash.table("warnings")
    assert warnings is not None
    rows = {r[0]: r[2:] for r in warnings.rows}
    assert rows == {FIRE: (1, 1, 0, 2), IND: (0, 0, 1, 0), "ALL": (1, 1, 1, 2)}
    # Scoped like the warnings: env holds none of them, IND has none.
    env = await dashboard(deps, ReportScope(department="env", today=TODAY))
    assert env.calendar == CalendarNotice(0, (2027,))
    ind = await dashboard(deps, ReportScope(matter=IND, today=date(2026, 10, 1)))
    assert ind.calendar is None


async def test_public_stats_withhold_figures_from_fewer_than_five_cases(deps: Deps) -> None:
    stats = await service_stats(deps, today=DECEMBER)
    assert (stats.start, stats.end) == (date(2026, 11, 1), date(2026, 11, 30))
    by = {m.code: m for m in stats.matters}
    fire, ind = by[FIRE], by[IND]
    # Decided in November: A, B, C, G (submitted in October: still handled in November), K, L.
    assert fire.handled == 6 and not fire.suppressed
    assert fire.on_time_share == pytest.approx(4 / 6)  # C and L late
    assert fire.avg_working_days == pytest.approx((2 + 10 + 11 + 3 + 6 + 14) / 6)
    assert (fire.promised_days, fire.statutory_days) == (10, 15)
    # IND-CONSTRUCTION: I only. Its limits are still published, its figures are not.
    assert ind.suppressed and MIN_CASES == 5
    assert (ind.handled, ind.on_time_share, ind.avg_working_days) == (None, None, None)
    assert (ind.promised_days, ind.statutory_days) == (15, 45)
    # The same figures as the report service selecting by the day of conclusion.
    nov = await sla_report(
        deps, ReportScope(stats.start, stats.end, today=DECEMBER), by="concluded"
    )
    row = next(r for r in nov.matters if r.key == FIRE)
    assert (row.concluded, row.on_time_rate) == (fire.handled, fire.on_time_share)


async def test_pages_csv_and_roles(deps: Deps) -> None:
    transport = httpx.ASGITransport(app=create_app(deps))
    settings = deps.settings
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        query = "from=2026-11-01&to=2026-11-30"
        for role in ("leader", "auditor", "admin"):
            r = await http.get(f"/dashboard?{query}", headers=bearer(role, settings=settings))
            assert r.status_code == 200, (role, r.text[:300])
            assert r.text.count("<svg") == 8 and "导出 CSV" in r.text
        for role, dept in (("operator", None), ("reviewer", "fire"), ("clerk", None)):
            r = await http.get("/dashboard", headers=bearer(role, dept, settings=settings))
            assert r.status_code == 403, role
        leader = bearer("leader", settings=settings)
        r = await http.get(f"/dashboard.csv?{query}&table=matters", headers=leader)
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert "attachment" in r.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
        report = await sla_report(deps, ReportScope(date(2026, 11, 1), date(2026, 11, 30)))
        for want in report.matters:
            got = next(x for x in rows if x["key"] == want.key)
            assert int(got["cases"]) == want.cases and int(got["overdue"]) == want.overdue
            rate = want.on_time_rate
            assert got["on_time_rate"] == ("" if rate is None else str(round(rate, 4)))
        for table in ("overview", "departments", "warnings"):
            r = await http.get(f"/dashboard.csv?table={table}", headers=leader)
            assert r.status_code == 200 and r.text.count("\n") >= 2, table
        bad = await http.get("/dashboard.csv?table=nope", headers=leader)
        assert bad.status_code == 404
        assert (await http.get("/dashboard?from=2026-13-01", headers=leader)).status_code == 422
        assert (await http.get("/dashboard?matter=NOPE", headers=leader)).status_code == 422
        public = await http.get("/public/stats")
        assert public.status_code == 200 and "少于5件" in public.text
        assert "星河" not in public.text and "LB-" not in public.text


BOGUS = '=HYPERLINK("http://evil.example/","click")'


async def test_a_matter_that_is_not_one_is_no_figure(deps: Deps) -> None:
    """Issue 21, item 11: a portal's submission with a `matter_code` that is no matter was
    refused at pre-review, but counted, and its code was a formula cell of the matters CSV."""
    before = await sla_report(deps, ReportScope(date(2026, 11, 1), date(2026, 11, 30)))
    async with deps.sessions() as s, s.begin():
        await s.execute(
            sa.insert(cases),
            [case("BOGUS-1", BOGUS, at("2026-11-03"), status="not_accepted", accepted_at=None)],
        )
    after = await sla_report(deps, ReportScope(date(2026, 11, 1), date(2026, 11, 30)))
    assert [r.key for r in after.matters] == [r.key for r in before.matters]
    assert after.total == before.total
    transport = httpx.ASGITransport(app=create_app(deps))
    leader = bearer("leader", settings=deps.settings)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
        query = "from=2026-11-01&to=2026-11-30"
        for table in ("matters", "overview"):
            r = await http.get(f"/dashboard.csv?{query}&table={table}", headers=leader)
            assert r.status_code == 200
            assert "HYPERLINK" not in r.text, table
