"""The applicant's progress page in real headless Chromium: a refused case shows every reason
and the appeal rights, a granted one its conditions and licence number, and a wrong query code
is told in both languages. Screenshots: tests/artifacts/progress_refused.png,
tests/artifacts/progress_granted.png."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.async_api import Browser, Page, expect

from domain.review import APPEAL_RIGHTS
from store.schema import cases, tasks
from tests.e2e.test_browser import ARTIFACTS, browser
from tests.utils.rows import case_row

__all__ = ["browser"]
pytestmark = pytest.mark.e2e
REASONS = ["[fire] 消防设计不符合规范 fire design does not meet the code", "[samr] 证照不全"]
CONDITIONS = ["[fire] 开业前复查 inspection before opening"]
# As the applicant reads them: each one's department named, not its code.
REASONS_SHOWN = [
    "消防救援支队 Fire & Rescue：消防设计不符合规范 fire design does not meet the code",
    "市场监督管理局 Market Regulation：证照不全",
]
CONDITIONS_SHOWN = ["消防救援支队 Fire & Rescue：开业前复查 inspection before opening"]


def _concluded(outcome: str, **values: Any) -> dict[str, Any]:
    at = datetime(2026, 11, 2, 2, tzinfo=UTC)
    case_id = f"LB-PROG-{uuid.uuid4().hex[:8].upper()}"
    return case_row(
        case_id,
        at,
        matter_code="RESTAURANT-OPENING",
        query_code="246810",
        status="concluded" if outcome == "refused" else "issued",
        outcome=outcome,
        accepted_at=at,
        concluded_at=at,
        **values,
    )


DEPARTMENTS = ("samr", "fire", "env", "health")  # RESTAURANT-OPENING's


def _decided_task(case_id: str, department: str) -> dict[str, Any]:
    at = datetime(2026, 11, 2, 2, tzinfo=UTC)
    return {
        "task_id": f"{case_id}.{department}",
        "case_id": case_id,
        "department": department,
        "status": "decided",
        "checks": [],
        "opinion_only": False,
        "outcome": "approve",
        "reasons": [],
        "conditions": [],
        "assigned_at": at,
        "decided_at": at,
    }


@pytest.fixture(scope="module")
async def decided(app: Any) -> AsyncIterator[dict[str, str]]:
    refused = _concluded("refused", reasons=REASONS, licence_number=None)
    granted = _concluded("granted", conditions=CONDITIONS, licence_number="XK-2026-000123")
    ids = [refused["case_id"], granted["case_id"]]
    async with app.deps.sessions() as s, s.begin():
        await s.execute(sa.insert(cases), [refused, granted])
        # Every department decided, as on a concluded case: the page's steps agree.
        await s.execute(sa.insert(tasks), [_decided_task(c, d) for c in ids for d in DEPARTMENTS])
    yield {"refused": refused["case_id"], "granted": granted["case_id"]}
    async with app.deps.sessions() as s, s.begin():
        await s.execute(sa.delete(tasks).where(tasks.c.case_id.in_(ids)))
        await s.execute(sa.delete(cases).where(cases.c.case_id.in_(ids)))


async def _look_up(page: Page, app: Any, case_id: str, code: str = "246810") -> None:
    await page.goto(f"{app.api_url}/progress")
    await page.get_by_label("办件编号 Case number").fill(case_id)
    await page.get_by_label("查询码 Query code").fill(code)
    await page.get_by_role("button", name="查询 Look up").click()


async def test_the_form_says_where_the_number_and_code_are(app: Any, browser: Browser) -> None:
    """A first-time applicant is told where to find both (the fields' descriptions)."""
    page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    await page.goto(f"{app.api_url}/progress")
    number = page.get_by_label("办件编号 Case number")
    await expect(number).to_have_accessible_description(re.compile("受理回执"))
    code = page.get_by_label("查询码 Query code")
    await expect(code).to_have_accessible_description(re.compile("6 位数字.*6 digits"))
    await page.close()


async def test_the_applicant_reads_the_result(
    app: Any, browser: Browser, decided: dict[str, str]
) -> None:
    page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    await _look_up(page, app, decided["refused"])
    await expect(page.locator("#outcome")).to_contain_text("不予许可")
    reasons = page.locator("#reasons li")
    await expect(reasons).to_have_text(REASONS_SHOWN)
    await expect(page.locator("#appeal-rights")).to_have_text(APPEAL_RIGHTS)
    # The departments in both languages, as everywhere.
    await expect(page.locator("#departments")).to_contain_text("消防救援支队 Fire & Rescue")
    await expect(page.locator("main")).not_to_contain_text("未完成 pending")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "progress_refused.png"), full_page=True)

    await _look_up(page, app, decided["granted"])
    await expect(page.locator("#outcome")).to_contain_text("准予许可")
    await expect(page.locator("#conditions li")).to_have_text(CONDITIONS_SHOWN)
    await expect(page.locator("#licence")).to_contain_text("XK-2026-000123")
    await expect(page.locator("#reasons")).to_have_count(0)
    await page.screenshot(path=str(ARTIFACTS / "progress_granted.png"), full_page=True)

    # A wrong code: the same answer as no such case, in both languages.
    await _look_up(page, app, decided["granted"], code="000000")
    await expect(page.get_by_role("alert")).to_have_text(
        "办件编号或查询码不正确 no case with this number and query code"
    )
    await page.close()
