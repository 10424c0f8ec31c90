"""In real headless Chromium: a leader signs in, reads the dashboard for a period and checks
each figure against the report service on the same data, exports a table as CSV, and is told
which running cases' clocks are provisional (a year's official calendar missing); anyone reads
the public statistics from the progress page. Screenshots: tests/artifacts/dashboard.png,
tests/artifacts/dashboard_provisional.png and tests/artifacts/public_stats.png."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.async_api import Browser, Page, expect

from domain.case_clocks import CHINA
from domain.dashboard import shown
from domain.public_stats import last_month
from domain.report_model import ReportScope
from entrypoints.web.dashboard_words import in_words
from services import signin
from services.leaders.dashboard import dashboard, service_stats
from services.leaders.reports import today_local
from store.schema import cases, tasks
from tests.e2e.test_browser import ARTIFACTS, browser
from tests.utils.page_fit import assert_fits
from tests.utils.rows import case_row

__all__ = ["browser"]  # the fixture, shared with the reviewer's browser test
FIRE, AD = "FIRE-DESIGN-REVIEW", "OUTDOOR-AD"
PERIOD = (date(2025, 3, 1), date(2025, 3, 31))  # a month no other test submits in


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CHINA).astimezone(UTC)


def _case(matter: str, submitted: date, concluded: date | None, **kw: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "matter_code": matter,
        "accepted_at": _at(submitted),
        "concluded_at": _at(concluded, 15) if concluded else None,
        "outcome": "granted" if concluded else None,
        "promised_due": submitted + timedelta(days=9),
        "statutory_due": submitted + timedelta(days=21),
    }
    if concluded:
        values["status"] = "concluded"
    return case_row(f"LB-DASH-{uuid.uuid4().hex[:10].upper()}", _at(submitted), **values, **kw)


@pytest.fixture(scope="module")
async def seeded(app: Any) -> AsyncIterator[None]:
    """March 2025: fire cases early, late and open; one outdoor-ad case at the window. Last
    month: six fire cases decided (published) and two outdoor-ad ones (withheld)."""
    march = [
        _case(FIRE, date(2025, 3, 3), date(2025, 3, 5)),
        _case(FIRE, date(2025, 3, 3), date(2025, 3, 12)),
        _case(FIRE, date(2025, 3, 4), date(2025, 3, 25)),
        _case(FIRE, date(2025, 3, 10), None, status="in_review", warning_level="red"),
        _case(AD, date(2025, 3, 11), date(2025, 3, 14), channel="window"),
    ]
    first, end = last_month(today_local())
    handled = [_case(FIRE, first, first + timedelta(days=d)) for d in (1, 2, 3, 5, 8, 20)]
    handled += [_case(AD, first, first + timedelta(days=2)) for _ in range(2)]
    assert all(r["concluded_at"] <= _at(end, 23) for r in handled)  # a month has 28+ days
    rows = march + handled
    async with app.deps.sessions() as s, s.begin():
        await s.execute(sa.insert(cases), rows)
        await s.execute(
            sa.insert(tasks),
            [
                {
                    "task_id": f"{r['case_id']}.fire",
                    "case_id": r["case_id"],
                    "department": "fire",
                    "status": "decided" if r["concluded_at"] else "open",
                    "checks": [],
                    "reasons": [],
                    "conditions": [],
                    "assigned_at": r["accepted_at"],
                    "decided_at": r["concluded_at"],
                    "due_date": r["promised_due"],
                }
                for r in march
                if r["matter_code"] == FIRE
            ],
        )
    yield
    # The app is the session's: later tests (inboxes, stalled lists) must not meet these rows.
    ids = [r["case_id"] for r in rows]
    async with app.deps.sessions() as s, s.begin():
        await s.execute(sa.delete(tasks).where(tasks.c.case_id.in_(ids)))
        await s.execute(sa.delete(cases).where(cases.c.case_id.in_(ids)))


async def _sign_in_leader(page: Page, app: Any) -> None:
    password = f"pw-{uuid.uuid4().hex}"
    username = f"leader-{password[-6:]}"
    await signin.add_user(app.deps, username, password, "leader", None, "张主任")
    await page.goto(f"{app.api_url}/dashboard")
    await expect(page).to_have_url(f"{app.api_url}/login?next=/dashboard")
    await page.get_by_label("用户名 User name").fill(username)
    await page.get_by_label("密码 Password").fill(password)
    await page.get_by_role("button", name="登录 Sign in", exact=True).click()
    await expect(page).to_have_url(f"{app.api_url}/dashboard")


async def test_leader_reads_the_dashboard(app: Any, browser: Browser, seeded: None) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    await _sign_in_leader(page, app)
    await page.get_by_label("开始 From").fill(PERIOD[0].isoformat())
    await page.get_by_label("结束 To").fill(PERIOD[1].isoformat())
    await page.get_by_role("button", name="查看 Show").click()
    await expect(page.locator("#scope")).to_contain_text("2025-03-01 – 2025-03-31")

    dash = await dashboard(app.deps, ReportScope(*PERIOD))
    overview = dash.table("overview")
    assert overview is not None
    figures = dict(zip(overview.column("figure"), overview.column("value"), strict=True))
    assert figures["cases"] == 5 and figures["in_person_per_case"] == 0.2
    for table in dash.tables:
        section = page.locator(f'section[data-table="{table.name}"]')
        await expect(section.locator("svg.chart")).to_be_visible()
        cells = await section.locator("tbody tr").evaluate_all(
            "rows => rows.map(r => [...r.cells].map(c => c.textContent.trim()))"
        )
        assert cells == shown(in_words(table)), table.name  # the page's words (the catalog's)
    # At 1280 px: no table or chart wider than the window, every chart label whole inside its
    # chart, each figure named in words, and the weekly trend of the period.
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    assert await assert_fits(page) > 50
    await expect(page.locator('section[data-table="overview"] table')).not_to_contain_text(
        "on_time_rate"
    )
    trend = page.locator('section[data-table="trend"]')
    await expect(trend.locator("tbody tr")).to_have_count(6)  # the weeks of 2025-03-03 … 03-31
    await expect(trend.locator('tr[data-row="2025-03-03"] [data-col="cases"]')).to_have_text("3")
    await expect(page.locator("#chart-overview")).to_contain_text("承诺时限压缩比")

    # The matters table as CSV: the same figures, unformatted.
    link = page.locator('section[data-table="matters"]').get_by_role("link", name="导出 CSV")
    async with page.expect_download() as info:
        await link.click()
    download = await info.value
    saved = Path(await download.path())
    text = await asyncio.to_thread(saved.read_text, encoding="utf-8-sig")
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(text))}
    fire = next(r for r in dash.report.matters if r.key == FIRE)
    assert int(rows[FIRE]["cases"]) == fire.cases == 4
    assert int(rows[FIRE]["overdue"]) == fire.overdue
    assert float(rows[FIRE]["on_time_rate"]) == round(fire.on_time_rate or 0, 4)
    await page.close()


@pytest.fixture
async def provisional_case(app: Any) -> AsyncIterator[tuple[str, int]]:
    """A running fire case at red whose statutory due date lies in a year the app's calendar
    does not know (it reaches into next year before that year's schedule is loaded)."""
    unknown = max(app.deps.calendar().years) + 1
    today = today_local()
    row = _case(FIRE, today, None, status="in_review", warning_level="red")
    row["statutory_due"] = date(unknown, 1, 15)
    async with app.deps.sessions() as s, s.begin():
        await s.execute(sa.insert(cases), [row])
    yield row["case_id"], unknown
    async with app.deps.sessions() as s, s.begin():
        await s.execute(sa.delete(cases).where(cases.c.case_id == row["case_id"]))


async def test_leader_sees_provisional_clocks(
    app: Any, browser: Browser, provisional_case: tuple[str, int]
) -> None:
    _, unknown = provisional_case
    page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    await _sign_in_leader(page, app)
    dash = await dashboard(app.deps)
    assert dash.calendar is not None and unknown in dash.calendar.missing_years
    assert dash.calendar.provisional >= 1
    notice = page.locator("#calendar-notice")
    await expect(notice).to_be_visible()
    await expect(notice).to_contain_text(f"{unknown} 年官方工作日历尚未载入")
    await expect(notice.locator("[data-count]")).to_have_text(str(dash.calendar.provisional))
    # The warnings table marks the provisional ones among the cases at yellow, red, breach.
    warnings = dash.table("warnings")
    assert warnings is not None
    fire = dict(zip(warnings.column("key"), warnings.column("provisional"), strict=True))[FIRE]
    assert isinstance(fire, int) and fire >= 1
    cell = page.locator(
        f'section[data-table="warnings"] tr[data-row="{FIRE}"] [data-col="provisional"]'
    )
    await expect(cell.locator("[data-provisional]")).to_have_text(str(fire))
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "dashboard_provisional.png"), full_page=True)

    # Exported, the warnings table carries the column too.
    link = page.locator('section[data-table="warnings"]').get_by_role("link", name="导出 CSV")
    async with page.expect_download() as info:
        await link.click()
    saved = Path(await (await info.value).path())
    text = await asyncio.to_thread(saved.read_text, encoding="utf-8-sig")
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(text))}
    assert int(rows[FIRE]["provisional"]) == fire
    await page.close()


async def test_anyone_reads_the_public_statistics(app: Any, browser: Browser, seeded: None) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    await page.goto(f"{app.api_url}/progress")
    await page.get_by_role("link", name="办件统计公示 Public service statistics").click()
    await expect(page).to_have_url(f"{app.api_url}/public/stats")
    stats = await service_stats(app.deps)
    for m in stats.matters:
        row = page.locator(f'tr[data-matter="{m.code}"]')
        await expect(row.locator('[data-col="promised_days"]')).to_contain_text(
            f"{m.promised_days} 工作日"
        )
        handled = row.locator('[data-col="handled"]')
        if m.handled is None:
            await expect(handled).to_contain_text("少于5件")
            await expect(row.locator('[data-col="on_time_share"]')).to_have_text("—")
        else:
            await expect(handled).to_have_text(str(m.handled))
    fire = next(m for m in stats.matters if m.code == FIRE)
    ad = next(m for m in stats.matters if m.code == AD)
    assert fire.handled is not None and fire.handled >= 6 and ad.handled is None
    assert fire.on_time_share is not None
    await expect(page.locator(f'tr[data-matter="{FIRE}"] [data-col="on_time_share"]')).to_have_text(
        f"{fire.on_time_share * 100:.1f}%"
    )
    content = await page.content()
    assert "LB-" not in content and "星河" not in content  # no case number, no applicant
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "public_stats.png"), full_page=True)
    await page.close()
