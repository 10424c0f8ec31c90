"""What a first-time user of each role reads on the pages, in real Chromium: the supervision
board lets a supervisor comment (urge) as well as close and shows what was done to each item;
the clocks' notes, the stalled list's details, the dashboard's figures and the audit page's
steps are in both languages, with departments and matters named, never as codes. Screenshots:
tests/artifacts/pages/words-*.png."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from services.leaders import supervision
from tests.e2e.pages_util import VIEWPORT, World, fits_and_passes, flash, shot
from tests.utils.auth import token


@pytest.fixture
async def context(chromium: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await chromium.new_context(viewport=VIEWPORT, locale="zh-CN")  # type: ignore[arg-type]
    try:
        yield ctx
    finally:
        await ctx.close()


async def _as(ctx: BrowserContext, app: Any, role: str, dept: str | None = None) -> Page:
    value = token(role, dept, settings=app.settings, sub=f"{role}-words", name=f"{role}-words")
    await ctx.add_cookies([{"name": "lianban_token", "value": value, "url": app.api_url}])
    return await ctx.new_page()


async def test_supervisor_comments_on_an_item_and_reads_its_record(
    app: Any, world: World, context: BrowserContext
) -> None:
    """The leader urges the department from the board (a comment, the item stays open) and
    sees it under the item with who and when; the clocks' note is in words."""
    page = await _as(context, app, "leader")
    await page.goto(f"{app.api_url}/supervision/board")
    item = page.locator("tr[data-supervision]", has_text=world.cases["head"]).last
    item_id = await item.get_attribute("data-supervision")
    await expect(item).to_contain_text("案件时限 2026-")
    await expect(item).to_contain_text("Warning on the case's time limit of 2026-")
    await expect(item).not_to_contain_text("of the case's time limit")
    await item.get_by_label("督办意见", exact=False).fill("请本周五前办结 finish by Friday")
    await item.get_by_role("button", name="意见 Comment", exact=True).click()
    await flash(page, "已更新")
    item = page.locator(f'tr[data-supervision="{item_id}"]')
    await expect(item).to_contain_text("督办中 Open")
    said = item.locator('li[data-action="commented"]')
    await expect(said).to_contain_text("请本周五前办结 finish by Friday")
    await expect(said).to_contain_text("leader-words")
    await shot(page, "words-supervision")
    await fits_and_passes(page)


async def test_inbox_names_the_supervision_note(
    app: Any, world: World, context: BrowserContext
) -> None:
    page = await _as(context, app, "reviewer", "fire")
    await page.goto(f"{app.api_url}/inbox")
    items = page.locator("li[data-supervision]")
    await expect(items.first).to_contain_text("超法定时限 Statutory breach")
    await expect(items.first).to_contain_text("案件时限 2026-")
    await expect(page.locator("main")).not_to_contain_text("of the case's time limit")


async def test_dashboard_names_departments_and_defines_figures_in_both_languages(
    app: Any, world: World, context: BrowserContext
) -> None:
    """The supervision section names the departments (table and chart), the total is 全部 All,
    the overview's definitions and the matter filter are in words, not codes."""
    page = await _as(context, app, "leader")
    await page.goto(f"{app.api_url}/dashboard")
    supervision = page.locator('section[data-table="supervision"]')
    fire = supervision.locator('tbody tr[data-row="fire"] td').first
    await expect(fire).to_have_text("消防救援支队 Fire & Rescue")
    await expect(supervision.locator('tbody tr[data-row="ALL"] td').first).to_have_text("全部 All")
    await expect(supervision.locator("svg")).to_contain_text("消防救援支队 Fire & Rescue")
    overview = page.locator('section[data-table="overview"]')
    await expect(overview).to_contain_text("期间提交的申请 applications submitted in the period")
    matters = page.locator('section[data-table="matters"] thead')
    await expect(matters.locator('[data-col="key"]')).to_have_count(0)
    matter = page.get_by_label("事项 Matter", exact=True).first.locator("option").nth(1)
    await expect(matter).not_to_contain_text("IND-CONSTRUCTION")
    await shot(page, "words-dashboard")
    await fits_and_passes(page)


async def test_stalled_list_says_why_in_both_languages(
    app: Any, world: World, context: BrowserContext
) -> None:
    """The idle task's detail is a sentence in both languages (the recorded one under
    "technical detail"), the unfollowed warning is named, the missing calendar too."""
    page = await _as(context, app, "operator")
    await page.goto(f"{app.api_url}/ops")
    idle = page.locator(f'tr[data-case="{world.cases["audit"]}"][data-reason="idle_task"]')
    detail = idle.locator("td.detail")
    await expect(detail).to_contain_text("个工作小时无人处理（到期 ")
    await expect(detail).to_contain_text("No activity for ")
    await expect(detail.locator("details")).to_contain_text("env task open")  # as recorded
    warned = page.locator(
        f'tr[data-case="{world.cases["head"]}"][data-reason="warning_unfollowed"] td.detail'
    )
    await expect(warned).to_contain_text("超法定时限 Statutory breach · 尚无人提醒或督办")
    calendar = page.locator("#calendar-incident")
    if await calendar.count():
        await expect(calendar).to_contain_text("年官方工作日历尚未载入")
    # The filters offer the matters and departments by name: nobody has to know a code.
    await page.get_by_label("部门 Department", exact=True).select_option(
        label="生态环境局 Ecology & Environment"
    )
    await page.get_by_role("button", name="筛选 Filter").click()
    await expect(page).to_have_url(f"{app.api_url}/ops?matter=&department=env&reason=")
    await expect(idle).to_be_visible()
    await shot(page, "words-ops")
    await fits_and_passes(page)


async def test_audit_page_names_steps_checks_and_statuses(
    app: Any, world: World, context: BrowserContext
) -> None:
    """Each step against its limit: its name and status in both languages, the department
    named; the verification names what it checked."""
    page = await _as(context, app, "auditor")
    await page.goto(f"{app.api_url}/auditor/cases/{world.cases['audit']}?check=1")
    review = page.locator('tr[data-step="review:env"]')
    await expect(review).to_contain_text("审查 Review · 生态环境局 Ecology & Environment")
    await expect(review.locator("td").last).to_have_text("进行中 Running")
    await expect(page.locator('tr[data-step="acceptance"] td').first).to_have_text(
        "受理 Acceptance"
    )
    verified = page.locator("#verified")
    await expect(verified).to_contain_text("已校验 Checked")
    await expect(verified).to_contain_text("读模型 read model")
    await expect(verified).not_to_contain_text("read_model")
    for finding in await page.locator("#verified ~ ul li").all():  # e.g. no anchor taken yet
        await expect(finding).to_contain_text("未能校验 Not checked")
    await shot(page, "words-audit")
    await fits_and_passes(page)


async def test_department_inboxes_show_where_work_waits(
    app: Any, world: World, context: BrowserContext
) -> None:
    """An operator choosing a department's inbox sees each one's views counted, each count a
    link to that view (the world's breached case is overdue at fire)."""
    page = await _as(context, app, "operator")
    await page.goto(f"{app.api_url}/inbox/departments")
    fire = page.locator('#departments tr[data-department="fire"]')
    overdue = fire.locator('td[data-view="overdue"]').get_by_role("link")
    await expect(overdue).to_have_attribute("href", "/inbox?dept=fire&view=overdue")
    assert int(await overdue.inner_text()) >= 1
    await overdue.click()
    await expect(page.locator(f'tr[data-task="{world.cases["head"]}.fire"]')).to_be_visible()
    await page.go_back()
    await shot(page, "words-departments")
    await fits_and_passes(page)


async def test_case_timeline_names_supervision_actions(
    app: Any, world: World, context: BrowserContext
) -> None:
    """A supervisor's comment on one of the case's items reads, on the case page's timeline,
    as 督办意见 Comment (not the stored action code)."""
    case_id = world.cases["head"]
    item = (await supervision.items(app.deps, case_id=case_id))[0]
    await supervision.comment(app.deps, item["id"], "张主任", "请加快办理")
    page = await _as(context, app, "operator")
    await page.goto(f"{app.api_url}/case/{case_id}")
    updated = page.locator('#timeline tr[data-event="SupervisionUpdated"]').last
    await expect(updated).to_contain_text("督办意见 Comment · 张主任")
    await expect(updated).not_to_contain_text("commented")
