"""Every page at 1280×800 in Chromium, as the role that uses it: nothing wider than the
window, and axe-core finds no serious or critical violation; the decide form works from the
keyboard alone. Screenshots: tests/artifacts/pages/a11y-*.png."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.e2e.pages_util import VIEWPORT, World, fits_and_passes, shot
from tests.utils.auth import token

# (name, role, department, path); {a11y} and {audit} are the world's cases.
ROWS: list[tuple[str, str | None, str | None, str]] = [
    ("login", None, None, "/login"),
    ("progress", None, None, "/progress"),
    ("public-stats", None, None, "/public/stats"),
    ("not-found", None, None, "/no/such/page"),
    ("inbox", "reviewer", "fire", "/inbox"),
    ("inbox-filtered", "dept_head", "fire", "/inbox?claimed=unclaimed&sort=received"),
    ("inbox-bad-query", "reviewer", "fire", "/inbox?view=bogus"),
    ("task", "reviewer", "fire", "/inbox/tasks/{a11y}.fire"),
    ("case", "reviewer", "fire", "/case/{a11y}"),
    ("case-operator", "operator", None, "/case/{audit}"),
    ("search", "clerk", None, "/search?q={word}"),
    ("departments", "operator", None, "/inbox/departments"),
    ("ops", "operator", None, "/ops"),
    ("supervision", "leader", None, "/supervision/board"),
    ("auditor", "auditor", None, "/auditor"),
    ("audit-case", "auditor", None, "/auditor/cases/{audit}?check=1"),
    ("extensions", "government_head", None, "/extensions?view=all"),
]
PAGES = [
    *(pytest.param(*row, id=row[0]) for row in ROWS),
    pytest.param(
        "dashboard",
        "leader",
        None,
        "/dashboard",
        # Strict: once the tables fit, this fails until the mark is removed with the fix.
        marks=pytest.mark.xfail(
            reason="issue 22 item 5 (the dashboard, another branch): its tables are wider "
            "than 1280 px",
            strict=True,
        ),
        id="dashboard",
    ),
]


@pytest.fixture
async def context(chromium: Browser) -> AsyncIterator[BrowserContext]:
    ctx = await chromium.new_context(viewport=VIEWPORT, locale="zh-CN")  # type: ignore[arg-type]
    try:
        yield ctx
    finally:
        await ctx.close()


async def _as(ctx: BrowserContext, app: Any, role: str | None, dept: str | None) -> Page:
    if role:
        value = token(role, dept, settings=app.settings, sub=f"{role}-a11y")
        await ctx.add_cookies([{"name": "lianban_token", "value": value, "url": app.api_url}])
    return await ctx.new_page()


@pytest.mark.parametrize(("name", "role", "dept", "path"), PAGES)
async def test_page_fits_and_passes_axe(
    app: Any,
    world: World,
    context: BrowserContext,
    name: str,
    role: str | None,
    dept: str | None,
    path: str,
) -> None:
    page = await _as(context, app, role, dept)
    url = path.format(word=world.words["a11y"], **world.cases)
    await page.goto(f"{app.api_url}{url}")
    await expect(page.locator("main h1")).to_be_visible()
    await shot(page, f"a11y-{name}")
    await fits_and_passes(page)


async def _tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        if await page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}")


async def test_decide_form_from_the_keyboard_alone(
    app: Any, world: World, context: BrowserContext
) -> None:
    """Choose "reject", send it without a reason: the form comes back with the choice kept
    and the problem next to the reasons field, in both languages (and axe still passes);
    then type the reason and send it — every step with keys only."""
    page = await _as(context, app, "reviewer", "env")
    await page.goto(f"{app.api_url}/inbox/tasks/{world.cases['a11y']}.env")
    await _tab_to(page, "input[name=outcome]")
    await page.keyboard.press("ArrowDown")  # approve → with conditions
    await page.keyboard.press("ArrowDown")  # → reject
    await expect(page.get_by_role("radio", name="不同意 Reject")).to_be_checked()
    await _tab_to(page, "#decide-form button[type=submit]")
    await page.keyboard.press("Enter")

    await expect(page.locator("#reasons-error")).to_contain_text("请至少填写一条理由")
    await expect(page.locator("#reasons-error")).to_contain_text("Give at least one reason")
    await expect(page.get_by_role("radio", name="不同意 Reject")).to_be_checked()
    await expect(page.locator("#reasons")).to_have_attribute("aria-invalid", "true")
    await shot(page, "a11y-task-refused")
    await fits_and_passes(page)

    await _tab_to(page, "#reasons")
    await page.keyboard.type("环评报告未附公众参与说明")
    await _tab_to(page, "#decide-form button[type=submit]")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("status")).to_contain_text("决定已提交 Decision submitted")
