"""In a real headless Chromium (Debian `chromium`, driven by Playwright): a reviewer signs in
with a user name and password, sees the task in the inbox, decides it, and the case moves on.
The run leaves a screenshot of the inbox at tests/artifacts/inbox.png."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from playwright.async_api import Browser, Page, async_playwright, expect

from services import signin
from store.schema import cases, tasks
from tests.e2e.test_api import SUBMISSION, case_when
from tests.utils.auth import bearer

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
HAVE_CHROMIUM = Path(CHROMIUM).exists()


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not HAVE_CHROMIUM:
        pytest.fail(f"{CHROMIUM} missing: `apt-get install -y chromium` (make test does it)")
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


async def _case(app: Any) -> tuple[str, str]:
    async with httpx.AsyncClient(base_url=app.api_url, timeout=15) as http:
        r = await http.post("/cases", json=SUBMISSION, headers=bearer("clerk"))
        assert r.status_code == 202
        case_id, code = r.json()["case_id"], r.json()["query_code"]
        await case_when(http, case_id, lambda c: len(c["tasks"]) == 5)
    return case_id, code


async def _sign_in(page: Page, app: Any, username: str, password: str) -> None:
    await page.goto(f"{app.api_url}/inbox")
    await expect(page).to_have_url(f"{app.api_url}/login?next=/inbox")
    await page.get_by_label("用户名 User name").fill(username)
    await page.get_by_label("密码 Password").fill(password)
    await page.get_by_role("button", name="登录 Sign in", exact=True).click()
    await expect(page).to_have_url(f"{app.api_url}/inbox")


async def _seed_colours(app: Any) -> None:
    """Other open env tasks in every warning state, so the inbox screenshot shows the colours."""
    today = date.today()
    states = [(today - timedelta(days=3), "none"), (today + timedelta(days=1), "none"),
              (today + timedelta(days=20), "breach")]  # fmt: skip
    for due, case_level in states:
        case_id, _ = await _case(app)
        async with app.deps.sessions() as s, s.begin():
            task = tasks.c.task_id == f"{case_id}.env"
            await s.execute(sa.update(tasks).where(task).values(due_date=due))
            where = cases.c.case_id == case_id
            await s.execute(sa.update(cases).where(where).values(warning_level=case_level))
            of_case = tasks.c.case_id == case_id  # kept beside its tasks, as the clocks do
            await s.execute(sa.update(tasks).where(of_case).values(case_warning_level=case_level))


async def test_reviewer_signs_in_sees_and_decides_the_task(app: Any, browser: Browser) -> None:
    await _seed_colours(app)
    case_id, _ = await _case(app)
    page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    password = f"pw-{uuid.uuid4().hex}"
    await signin.add_user(app.deps, f"env-r1-{password[-6:]}", password, "reviewer", "env", "李工")
    await _sign_in(page, app, f"env-r1-{password[-6:]}", password)
    row = page.locator(f'tr[data-task="{case_id}.env"]')
    await expect(row).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "inbox.png"), full_page=True)

    await row.get_by_role("link", name=case_id).click()
    await expect(page.get_by_role("heading", name="共享材料", exact=False)).to_be_visible()
    await page.get_by_role("button", name="认领 Claim").click()
    await expect(page.locator("#assignee")).to_have_text(f"env-r1-{password[-6:]}")
    await page.get_by_role("radio", name="附条件同意", exact=False).check()
    await page.get_by_label("条件（每行一条", exact=False).fill("施工期间夜间禁止高噪声作业")
    await page.get_by_role("button", name="提交决定 Submit decision").click()
    await expect(page.get_by_role("status")).to_contain_text("决定已提交")

    # The case moves on: the workflow records the decision, the page shows it.
    async with httpx.AsyncClient(base_url=app.api_url, timeout=15) as http:
        case = await case_when(
            http, case_id, lambda c: any(t["status"] == "decided" for t in c["tasks"])
        )
    env = next(t for t in case["tasks"] if t["department"] == "env")
    assert env["outcome"] == "approve_with_conditions" and env["reviewer"] == "李工"
    assert "DepartmentDecided" in {e["event_type"] for e in case["events"]}
    async with asyncio.timeout(15):
        while "已决定" not in await page.locator("#task-status").inner_text():
            await page.reload()
    await page.close()


async def test_applicant_follows_progress_without_signing_in(app: Any, browser: Browser) -> None:
    case_id, code = await _case(app)
    page = await browser.new_page()
    await page.goto(f"{app.api_url}/progress")
    await page.get_by_label("办件编号 Case number").fill(case_id)
    await page.get_by_label("查询码 Query code").fill(code)
    await page.get_by_role("button", name="查询 Look up").click()
    await expect(page.get_by_text("已受理 Accepted — 完成 done")).to_be_visible()
    content = await page.content()
    assert SUBMISSION["applicant"]["name"] not in content  # type: ignore[index]
    assert code not in page.url
    await page.close()
