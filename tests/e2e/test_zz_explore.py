"""SCRATCH: visit every page per role and screenshot (not committed)."""

from __future__ import annotations
from pathlib import Path
from typing import Any
from playwright.async_api import Browser
from tests.e2e.pages_util import VIEWPORT, World, sign_in

OUT = Path(__file__).resolve().parents[2] / ".scratch" / "shots"
PAGES = {
    "reviewer": [
        "/inbox",
        "/inbox?view=due_soon",
        "/inbox?view=overdue",
        "/inbox?view=decided",
        "/inbox/tasks/{a11y}.fire",
        "/inbox/tasks/{decide}.fire",
        "/case/{a11y}",
        "/case/{head}",
        "/search?q={word}",
        "/search",
        "/search?q=zzzznothing",
    ],
    "dept_head": ["/inbox", "/inbox/tasks/{head}.fire", "/case/{head}"],
    "operator": [
        "/ops",
        "/dead-letters",
        "/dead-letters?state=all",
        "/inbox/departments",
        "/inbox?department=env",
        "/supervision/board",
        "/case/{audit}",
        "/inbox/tasks/{audit}.env",
        "/search",
    ],
    "auditor": [
        "/auditor",
        "/auditor/cases/{audit}",
        "/auditor/cases/{audit}?check=1",
        "/dashboard",
        "/supervision/board",
        "/case/{head}",
        "/inbox/departments",
    ],
    "leader": ["/dashboard", "/supervision/board"],
    "government_head": ["/extensions", "/extensions?view=all", "/case/{head}", "/search"],
}
PUBLIC = ["/login", "/progress", "/public/stats", "/no/such"]


async def test_explore(app: Any, world: World, chromium: Browser) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "cases.txt").write_text(repr(world.cases) + repr(world.words))
    ctx = await chromium.new_context(viewport=VIEWPORT, locale="zh-CN")
    page = await ctx.new_page()
    for n, p in enumerate(PUBLIC):
        await page.goto(f"{app.api_url}{p}")
        await page.screenshot(path=str(OUT / f"public-{n}.png"), full_page=True)
    await ctx.close()
    for role, paths in PAGES.items():
        ctx = await chromium.new_context(viewport=VIEWPORT, locale="zh-CN")
        page = await ctx.new_page()
        await sign_in(page, app, world, role)
        for n, p in enumerate(paths):
            url = p.format(word=world.words["a11y"], **world.cases)
            await page.goto(f"{app.api_url}{url}")
            await page.screenshot(path=str(OUT / f"{role}-{n:02d}.png"), full_page=True)
            (OUT / f"{role}-{n:02d}.txt").write_text(url + "\n" + await page.inner_text("body"))
        await ctx.close()
