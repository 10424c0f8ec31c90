"""In real headless Chromium: the government head signs in with a user name and password, lands
on /extensions, finds a running joint case and grants its one extension (+15 working days); the
case's clocks and its audit record carry it, approved by the signed-in head. Refusals (a case
whose workflow is gone, a single organ's case, a second extension, no reason) come back as
messages on the page. Screenshot: tests/artifacts/extensions.png."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from playwright.async_api import Browser, expect

from services import signin
from store.schema import cases, tasks
from tests.e2e.test_api import submitted_case
from tests.e2e.test_browser import ARTIFACTS, browser
from tests.utils.auth import bearer
from tests.utils.eventually import eventually
from tests.utils.rows import case_row

__all__ = ["browser"]  # the fixture, shared with the reviewer's browser test
HEAD_NAME = "张区长"


@pytest.fixture
async def seeded(app: Any) -> AsyncIterator[dict[str, str]]:
    """Read-model rows with no workflow behind them: a joint case at red (its clock warned)
    with fire and env still reviewing, and a single organ's case."""
    now = datetime.now(UTC)
    red = f"LB-EXT-{uuid.uuid4().hex[:10].upper()}"
    single = f"LB-EXT-{uuid.uuid4().hex[:10].upper()}"
    due = (now + timedelta(days=40)).date()
    rows = [
        case_row(red, now, accepted_at=now, warning_level="red", statutory_due=due),
        case_row(single, now, matter_code="FIRE-DESIGN-REVIEW", accepted_at=now, statutory_due=due),
    ]
    task_rows = [
        {"task_id": f"{red}.{d}", "case_id": red, "department": d, "status": status,
         "checks": [], "reasons": [], "conditions": [], "assigned_at": now}
        for d, status in (("fire", "open"), ("env", "corrections_requested"), ("cad", "decided"))
    ]  # fmt: skip
    async with app.deps.sessions() as s, s.begin():
        await s.execute(sa.insert(cases), rows)
        await s.execute(sa.insert(tasks), task_rows)
    yield {"red": red, "single": single}
    # The app is the session's: later tests (inboxes, dashboards) must not meet these rows.
    async with app.deps.sessions() as s, s.begin():
        await s.execute(sa.delete(tasks).where(tasks.c.case_id.in_([red, single])))
        await s.execute(sa.delete(cases).where(cases.c.case_id.in_([red, single])))


async def test_government_head_grants_a_joint_case_extension(
    app: Any, browser: Browser, seeded: dict[str, str]
) -> None:
    gov = bearer("government_head", sub="gov-api", name="王副区长", settings=app.settings)
    async with httpx.AsyncClient(base_url=app.api_url, timeout=15, headers=gov) as http:
        case_id = await submitted_case(http)  # IND-CONSTRUCTION: joint, 45 working days
        before = (await http.get(f"/cases/{case_id}/clocks")).json()
    assert before["extension_days"] == 0

    password = f"pw-{uuid.uuid4().hex}"
    username = f"gov-{password[-6:]}"
    await signin.add_user(app.deps, username, password, "government_head", None, HEAD_NAME)
    page = await browser.new_page(viewport={"width": 1400, "height": 900}, locale="zh-CN")
    await page.goto(f"{app.api_url}/login")
    await page.get_by_label("用户名 User name").fill(username)
    await page.get_by_label("密码 Password").fill(password)
    await page.get_by_role("button", name="登录 Sign in", exact=True).click()
    await expect(page).to_have_url(f"{app.api_url}/extensions")  # the head's page by role
    await page.goto(f"{app.api_url}/")  # the site's root leads there too
    await expect(page).to_have_url(f"{app.api_url}/extensions")

    # Needs attention: the red joint case, with its open departments and clock; not the
    # fresh case (45 working days left), nor the single organ's case.
    red = page.locator(f'tr[data-case="{seeded["red"]}"]')
    await expect(red.locator('[data-col="departments"]')).to_have_text(
        "生态环境局 Ecology & Environment、消防救援支队 Fire & Rescue"
    )
    await expect(red.locator("[data-limit]")).to_have_text("45")
    left = int(await red.locator("[data-left]").inner_text())
    assert 20 <= left <= 30  # 40 calendar days ahead
    await expect(red.locator("[data-used]")).to_have_text(str(45 - left))
    await expect(page.locator(f'tr[data-case="{case_id}"]')).to_have_count(0)
    await expect(page.locator(f'tr[data-case="{seeded["single"]}"]')).to_have_count(0)

    # A case whose workflow is not running: refused with the reason, the page still there.
    await red.get_by_label("延期理由", exact=False).fill("专家论证")
    await red.get_by_role("button", name="批准延期", exact=False).click()
    await expect(page.locator("#error")).to_contain_text(seeded["red"])
    await expect(page.locator("#error")).to_contain_text("no running case")

    # Every joint case without an extension: the fresh one is there; grant it.
    await page.get_by_role("link", name="全部未延期 All without extension").click()
    row = page.locator(f'tr[data-case="{case_id}"]')
    await expect(row.locator("[data-limit]")).to_have_text("45")
    codes = await row.locator("[data-department]").evaluate_all(
        "spans => spans.map(s => s.dataset.department)"
    )
    assert codes == ["cad", "env", "fire", "housing", "nrp"]
    await row.get_by_label("延期理由", exact=False).fill("需组织专家论证 Expert review needed")
    await row.get_by_role("button", name="批准延期", exact=False).click()
    await expect(page.locator("#done")).to_contain_text(case_id)
    await expect(row).to_have_count(0)  # extended: no longer a candidate
    granted = page.locator(f'tr[data-granted="{case_id}"]')
    await expect(granted).to_contain_text(HEAD_NAME)
    await expect(granted).to_contain_text("+15")
    await expect(granted).to_contain_text("需组织专家论证")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "extensions.png"), full_page=True)
    await page.close()

    async with httpx.AsyncClient(base_url=app.api_url, timeout=15, headers=gov) as http:
        after = (await http.get(f"/cases/{case_id}/clocks")).json()
        assert after["extension_days"] == 15
        assert after["statutory_due"] > before["statutory_due"]
        # Refusals through the page's own form route, as messages with their status.
        again = await http.post(f"/extensions/{case_id}/grant", data={"reason": "again"})
        assert again.status_code == 409 and "already extended once" in again.text
        single = await http.post(f"/extensions/{seeded['single']}/grant", data={"reason": "r"})
        assert single.status_code == 409 and "is not a joint case" in single.text
        empty = await http.post(f"/extensions/{case_id}/grant", data={"reason": "  "})
        assert empty.status_code == 422 and "Give a reason" in empty.text
        unknown = await http.post("/extensions/LB-NOPE/grant", data={"reason": "r"})
        assert unknown.status_code == 404 and "no case" in unknown.text

    auditor = bearer("auditor", settings=app.settings)
    async with httpx.AsyncClient(base_url=app.api_url, timeout=15, headers=auditor) as http:

        async def record() -> Any:
            return (await http.get(f"/audit/cases/{case_id}")).json()

        audit = await eventually(
            record,
            until=lambda r: r.get("state", {}).get("clocks", {}).get("extension"),
            timeout=20,
            what="the extension in the audit record",
        )
    extension = audit["state"]["clocks"]["extension"]
    assert extension["approver"] == HEAD_NAME and extension["approver_role"] == "government_head"
    assert extension["extension_days"] == 15 and extension["reason"].startswith("需组织专家论证")
    line = next(x for x in audit["timeline"] if x["event_type"] == "ExtensionGranted")
    assert (line["actor"], line["role"]) == (HEAD_NAME, "government_head")
