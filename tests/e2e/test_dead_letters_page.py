"""Dead letters of every kind on the operator's pages, in real headless Chromium: an unsigned
decision is discarded with a reason (and leaves its case's stalled reasons), a decision signed
by a key registered too late is re-driven and reaches its case, and a malformed submission with
no case number is listed and discarded. Screenshots: tests/artifacts/ops_stalled.png,
tests/artifacts/dead_letters.png."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.async_api import Browser, Page, expect

from services.operators.department_keys import register
from store.cases import get_task
from store.schema import dead_letter_actions, dead_letters
from tests.e2e.kafka_util import Produce
from tests.e2e.ops_util import events_of, token
from tests.e2e.test_browser import ARTIFACTS, browser
from tests.e2e.test_signed_decisions import fire_case, new_signer, record, send
from tests.stack import App
from tests.utils.eventually import eventually

__all__ = ["browser"]
pytestmark = pytest.mark.e2e


async def _dead_letter_at(app: App, source: tuple[str, int, int]) -> dict[str, Any] | None:
    topic, partition, offset = source
    query = sa.select(dead_letters).where(
        dead_letters.c.source_topic == topic,
        dead_letters.c.partition == partition,
        dead_letters.c.offset == offset,
    )
    async with app.deps.sessions() as s:
        row = (await s.execute(query)).first()
    return dict(row._mapping) if row else None


async def _refused(app: App, source: tuple[str, int, int]) -> dict[str, Any]:
    return await eventually(lambda: _dead_letter_at(app, source), timeout=60, what="dead letter")


async def _operator_page(app: App, browser: Browser) -> Page:
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    await context.add_cookies(
        [{"name": "lianban_token", "value": token(app, name="值班员 李娜"), "url": app.api_url}]
    )
    return await context.new_page()


async def _act(page: Page, dead_letter_id: int, action: str, reason: str) -> None:
    row = page.locator(f'tr[data-dead-letter="{dead_letter_id}"]')
    await row.get_by_role("textbox", name="理由 Reason").fill(reason)
    await row.locator(f'button[data-action="{action}"]').click()
    await expect(page.locator("#done")).to_contain_text(f"#{dead_letter_id}")


async def test_dead_letters_are_cleared_from_the_page(app: App, browser: Browser) -> None:
    cid = await fire_case(app)
    unsigned = await _refused(app, await send(app, record(cid, reviewer="fire-9"), cid, None))
    late_signer, public_key = new_signer(f"late-{uuid.uuid4().hex[:8]}")
    value = record(cid)
    late = await _refused(app, await send(app, value, cid, late_signer.headers(value)))
    async with Produce(app.settings.kafka_bootstrap) as produce:
        where = await produce.raw(app.settings.topics.submissions, b'{"not json', None)
    malformed = await _refused(app, where)
    assert (unsigned["error"], late["error"]) == ("unsigned", "unknown_key")
    assert malformed["error"] == "malformed_json" and malformed["case_id"] is None

    page = await _operator_page(app, browser)
    # The stalled list offers a discard for each of the case's dead letters, and links the case.
    await page.goto(f"{app.api_url}/ops?reason=dead_letter")
    rows = page.locator(f'tr[data-case="{cid}"]')
    await expect(rows).to_have_count(2)
    await expect(rows.first.get_by_role("link", name=cid)).to_have_attribute("href", f"/case/{cid}")
    await expect(rows.first.get_by_role("button", name="放弃死信 Discard")).to_be_visible()
    # Each one's error in words (the recorded detail under "technical detail").
    details = rows.locator("td.detail")
    await expect(details.filter(has_text="未签名 Unsigned")).to_have_count(1)
    await expect(details.filter(has_text="未登记的密钥 Unknown key")).to_have_count(1)
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "ops_stalled.png"), full_page=True)

    # The unsigned one can never apply: discarded with a reason, on the case's record.
    await page.get_by_role("link", name="死信 Dead letters").first.click()
    await page.goto(f"{app.api_url}/dead-letters?case_id={cid}")
    await expect(page.locator(f'tr[data-dead-letter="{unsigned["id"]}"]')).to_contain_text(
        "未签名 Unsigned"
    )
    await _act(page, unsigned["id"], "discard", "部门系统未签名，已通知重发")
    await expect(page.locator(f'tr[data-dead-letter="{unsigned["id"]}"]')).to_have_count(0)
    recorded = [e["data"] for e in await events_of(app, cid, "OperatorActionRecorded")]
    assert [(r["action"], r["result"], r["reason"]) for r in recorded] == [
        ("dead_letter_discard", "done", "部门系统未签名，已通知重发")
    ]

    # The key registered late: the re-drive checks the signature again and decides the task.
    await register(app.deps, "fire", late_signer.key_id, public_key, by="test")
    await _act(page, late["id"], "redrive", "密钥已补登记")

    async def decided() -> bool:
        async with app.deps.sessions() as s:
            task = await get_task(s, f"{cid}.fire")
        return task is not None and task["status"] == "decided"

    await eventually(decided, timeout=60, what="the re-driven decision applied")
    assert await events_of(app, cid, "DepartmentDecided")

    # A malformed submission has no case number: listed under "without a case", discarded.
    await page.goto(f"{app.api_url}/dead-letters?case=without&error=malformed_json")
    await expect(page.locator(f'tr[data-dead-letter="{malformed["id"]}"]')).to_contain_text(
        "无办件号 no case number"
    )
    await page.screenshot(path=str(ARTIFACTS / "dead_letters.png"), full_page=True)
    await _act(page, malformed["id"], "discard", "格式错误，已联系发送方")
    async with app.deps.sessions() as s:
        actions = (
            await s.execute(
                sa.select(dead_letter_actions).where(
                    dead_letter_actions.c.dead_letter_id == malformed["id"]
                )
            )
        ).all()
    assert [(a.action, a.result, a.actor) for a in actions] == [
        ("dead_letter_discard", "done", "值班员 李娜")
    ]
    await page.context.close()
