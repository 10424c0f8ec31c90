"""Each role's day in real Chromium, through the pages only: sign in with a password, land on
the role's own page, find exactly the pages the role may use in the navigation bar, search a
case, read its page, and do the role's work. Screenshots of every step:
tests/artifacts/pages/<role>-<n>-<step>.png (docs/pages.md shows a few)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.e2e.pages_util import VIEWPORT, World, flash, places, shot, sign_in

HOMES = {
    "reviewer": "/inbox",
    "dept_head": "/inbox",
    "operator": "/ops",
    "auditor": "/auditor",
    "leader": "/dashboard",
    "government_head": "/extensions",
}
NAVIGATION = {
    "reviewer": ["inbox", "search"],
    "dept_head": ["inbox", "search"],
    "operator": ["inbox", "search", "ops", "supervision"],
    "auditor": ["inbox", "search", "auditor", "dashboard", "supervision"],
    "leader": ["dashboard", "supervision"],
    "government_head": ["search", "extensions"],
}


@pytest.fixture
async def page(chromium: Browser) -> AsyncIterator[Page]:
    ctx = await chromium.new_context(viewport=VIEWPORT, locale="zh-CN")  # type: ignore[arg-type]
    try:
        yield await ctx.new_page()
    finally:
        await ctx.close()


async def arrive(page: Page, app: Any, world: World, role: str) -> None:
    """Sign in, land on the role's page, see exactly its pages in the navigation bar; each
    link there opens (none is refused)."""
    await sign_in(page, app, world, role)
    await expect(page).to_have_url(f"{app.api_url}{HOMES[role]}")
    assert await places(page) == NAVIGATION[role]
    await shot(page, f"{role}-1-home")
    for link in await page.locator("nav.places a").evaluate_all("a => a.map(x => x.href)"):
        response = await page.request.get(link)
        assert response.status == 200, (role, link, response.status)


async def find_case(page: Page, world: World, purpose: str, role: str) -> None:
    """Type a word of the case's title in the header's search box: the one case found is
    listed; its page opens from there."""
    search = page.get_by_role("banner").get_by_role("searchbox")
    await search.fill(world.words[purpose])
    await search.press("Enter")
    results = page.locator("#results tbody tr[data-case]")
    await expect(results).to_have_count(1)
    await shot(page, f"{role}-2-search")
    await results.get_by_role("link", name=world.cases[purpose]).click()
    await expect(page.locator("#departments")).to_be_visible()
    await shot(page, f"{role}-3-case")


async def test_reviewer(app: Any, world: World, page: Page) -> None:
    """Opens the department's task from the case page, refuses it without a reason (the form
    says what is missing, the choice kept), gives the reason: decided, and claimed for them."""
    await arrive(page, app, world, "reviewer")
    await find_case(page, world, "decide", "reviewer")
    await page.locator('tr[data-department="fire"]').get_by_role("link").click()
    await page.get_by_role("radio", name="不同意 Reject").check()
    await page.get_by_role("button", name="提交决定 Submit decision").click()
    await expect(page.locator("#reasons-error")).to_contain_text("请至少填写一条理由")
    await expect(page.get_by_role("radio", name="不同意 Reject")).to_be_checked()
    await shot(page, "reviewer-4-refused-form")
    await page.get_by_label("理由（每行一条", exact=False).fill("消防车道宽度不足 4 米")
    await page.get_by_role("button", name="提交决定 Submit decision").click()
    await flash(page, "决定已提交 Decision submitted")
    await expect(page.locator("#assignee")).to_have_text(world.users["reviewer"])
    await shot(page, "reviewer-5-decided")


async def test_dept_head(app: Any, world: World, page: Page) -> None:
    """Finds the unclaimed task in the inbox by its title, claims it from the list, gives it
    back; the case page shows the task's clock."""
    await arrive(page, app, world, "dept_head")
    await find_case(page, world, "head", "dept_head")
    await expect(page.locator('tr[data-department="fire"] .badge')).to_contain_text("超法定时限")
    await page.get_by_role("link", name="待办 Inbox", exact=True).first.click()
    await page.get_by_label("认领 Claimed", exact=True).select_option("unclaimed")
    await (
        page.get_by_role("form", name="筛选列表 Filter the list")
        .get_by_role("searchbox")
        .fill(world.words["head"])
    )
    await page.get_by_role("button", name="筛选 Filter").click()
    row = page.locator(f'tr[data-task="{world.cases["head"]}.fire"]')
    await expect(row).to_be_visible()
    await expect(page.locator("#tasks tbody tr")).to_have_count(1)
    await shot(page, "dept_head-4-filtered")
    await row.get_by_role("button", name="认领", exact=False).click()
    await flash(page, "已认领 Task claimed")
    await page.get_by_label("认领 Claimed", exact=True).select_option("mine")
    await page.get_by_role("button", name="筛选 Filter").click()
    await expect(row).to_contain_text("我 Me")
    await shot(page, "dept_head-5-claimed")
    await row.get_by_role("button", name="退回", exact=False).click()
    await flash(page, "已退回待认领 Given back")


async def test_operator(app: Any, world: World, page: Page) -> None:
    """Sees the idle task on the stalled list, reminds the department; the case page links
    the workflow in the Temporal UI."""
    await arrive(page, app, world, "operator")
    await find_case(page, world, "audit", "operator")
    link = page.get_by_role("link", name="Temporal 界面中的流程", exact=False)
    href = f"http://127.0.0.1:8233/namespaces/default/workflows/{world.cases['audit']}"
    await expect(link).to_have_attribute("href", href)
    await page.get_by_role("link", name="运维 Operations", exact=True).first.click()
    row = page.locator("tr", has_text=world.cases["audit"]).filter(has_text="env")
    await row.get_by_placeholder("理由", exact=False).first.fill("电话提醒环境局 called env")
    await row.get_by_role("button", name="提醒", exact=False).first.click()
    await expect(page.locator("main")).to_contain_text(f"remind {world.cases['audit']}")
    await shot(page, "operator-4-reminded")


async def test_auditor(app: Any, world: World, page: Page) -> None:
    """Goes from the case page to its audit replay and verifies the chain."""
    await arrive(page, app, world, "auditor")
    await find_case(page, world, "audit", "auditor")
    await expect(page.locator("#audit-chain")).to_contain_text("完整 Intact")
    await page.get_by_role("link", name="审计回放 Audit replay").click()
    await page.get_by_role("link", name="校验 Verify").click()
    await expect(page.locator("#verified")).to_contain_text("完整")
    await shot(page, "auditor-4-verified")


async def test_leader(app: Any, world: World, page: Page) -> None:
    """Reads figures, not cases: no search box, a case page is refused (as a page); closes a
    supervision item on the breached case."""
    await arrive(page, app, world, "leader")
    await expect(page.get_by_role("searchbox")).to_have_count(0)
    response = await page.goto(f"{app.api_url}/case/{world.cases['head']}")
    assert response is not None and response.status == 403
    await expect(page.locator("#error-message")).to_contain_text("无权访问")
    await page.get_by_role("link", name="督办 Supervision", exact=True).click()
    item = page.locator("tr[data-supervision]", has_text=world.cases["head"]).first
    await expect(item).to_contain_text("超法定时限")
    await shot(page, "leader-2-supervision")
    await item.get_by_label("办理情况", exact=False).fill("已约谈住建局，本周内办结")
    await item.get_by_role("button", name="办结 Close").click()
    await flash(page, "已更新")
    await shot(page, "leader-3-closed")


async def test_government_head(app: Any, world: World, page: Page) -> None:
    """Reads the case, grants its one extension on the extensions page; the case page shows
    the extension with its reason."""
    await arrive(page, app, world, "government_head")
    await find_case(page, world, "head", "government_head")
    await page.get_by_role("link", name="延期审批 Extensions", exact=True).first.click()
    await page.get_by_role("link", name="全部未延期 All without extension").click()
    row = page.locator(f'tr[data-case="{world.cases["head"]}"]')
    await row.get_by_label("延期理由", exact=False).fill("需组织专家论证")
    await row.get_by_role("button", name="批准延期", exact=False).click()
    await expect(page.locator("#done")).to_contain_text(world.cases["head"])
    await page.locator(f'tr[data-granted="{world.cases["head"]}"]').get_by_role("link").click()
    await expect(page.locator("#extension")).to_contain_text("需组织专家论证", timeout=15_000)
    await shot(page, "government_head-4-extended")
