"""Electronic licences end to end (issue 25): a real issued licence on its public verify page
in Chromium (screenshot tests/artifacts/licence.png), checked offline with the OpenSSL recipe
of docs/library.md (a changed byte fails) and with `lianban licences verify`, then revoked: the
page, the library and the next submission naming it all say so."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright, expect
from typer.testing import CliRunner

from entrypoints.cli.main import app as cli
from services.leaders.dashboard import service_stats
from services.leaders.reports import today_local
from tests.e2e.library_flow import ENTERPRISE, Story, file, run_story
from tests.e2e.pages_util import fits_and_passes
from tests.e2e.test_browser import ARGS, ARTIFACTS, CHROMIUM, HAVE_CHROMIUM
from tests.utils.auth import client, token

DOCS = Path(__file__).resolve().parents[2] / "docs" / "library.md"


@pytest.fixture(scope="module")
async def story(app: Any) -> AsyncIterator[Story]:
    yield await run_story(app)


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


def _number(story: Story) -> str:
    return str(story.licence["licence_number"])


async def test_the_verify_page_shows_the_licence_valid(
    app: Any, story: Story, browser: Browser
) -> None:
    number = _number(story)
    page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    try:
        await page.goto(f"{app.api_url}/public/licences/{number}")
        await expect(page.locator("#licence-status")).to_have_attribute("data-status", "valid")
        await expect(page.locator("#licence-number")).to_have_text(number)
        # The holder masked: the credit code's first 6 and last 4 only.
        await expect(page.locator("#holder [data-id]")).to_have_text(
            "913101********XQ27C"[:6] + "********" + ENTERPRISE["id_number"][-4:]
        )
        await expect(page.locator("#validity")).to_contain_text(story.licence["valid_until"])
        qr = page.locator("figure.qr svg title")
        await expect(qr).to_have_text(f"{app.settings.public_base_url}/public/licences/{number}")
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "licence.png"), full_page=True)
        await fits_and_passes(page)  # nothing wider than the window, no serious axe finding
    finally:
        await page.close()


def _recipe() -> str:
    text = DOCS.read_text(encoding="utf-8")
    found = re.search(
        r"<!-- openssl-recipe -->\s*```bash\n(.*?)```\s*<!-- /openssl-recipe -->", text, re.S
    )
    assert found, "docs/library.md has no openssl recipe"
    return found.group(1)


@dataclass
class Ran:
    returncode: int
    stdout: str
    stderr: str


async def _run(script: str, cwd: Path, env: dict[str, str]) -> Ran:
    """Run a shell script without blocking this loop (the API under test serves in it)."""
    proc = await asyncio.create_subprocess_exec(
        "bash", "-euo", "pipefail", "-c", script,
        cwd=cwd, env={**os.environ, **env},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return Ran(proc.returncode or 0, out.decode(), err.decode())


async def test_the_docs_openssl_recipe_verifies_it_and_a_changed_byte_fails(
    app: Any, story: Story, tmp_path: Path
) -> None:
    number, key = _number(story), str(story.licence["key_id"])
    env = {"CENTER": app.api_url, "N": number, "K": key}
    done = await _run(_recipe(), tmp_path, env)
    assert done.returncode == 0, done.stderr
    assert "Signature Verified Successfully" in done.stdout
    document = tmp_path / f"{number}.json"
    original = document.read_bytes()
    assert original.startswith(b'{"case_id":')  # the canonical form: keys sorted, no spaces
    at = original.index(b"valid_until") + len(b'valid_until":"') + 3  # a digit of the year
    document.write_bytes(original[:at] + bytes([original[at] ^ 1]) + original[at + 1 :])
    openssl = _recipe().strip().splitlines()[-1]
    tampered = await _run(openssl, tmp_path, env)
    assert tampered.returncode != 0
    assert "Signature Verification Failure" in tampered.stdout + tampered.stderr
    # The CLI, offline: the same files and key.
    runner = CliRunner()
    ok = runner.invoke(
        cli,
        [
            "licences",
            "verify",
            str(tmp_path / f"{number}.json"),
            "--key",
            str(tmp_path / f"{key}.pem"),
        ],
    )
    assert ok.exit_code == 1 and "NOT VERIFIED" in ok.output
    document.write_bytes(original)
    ok = runner.invoke(
        cli, ["licences", "verify", str(document), "--key", str(tmp_path / f"{key}.pem")]
    )
    assert ok.exit_code == 0, ok.output
    assert f"VERIFIED licence {number}" in ok.output


async def test_the_figures_count_reuse_and_verification(
    app: Any, story: Story, browser: Browser
) -> None:
    async with client(app, "leader") as http:
        page = await http.get("/dashboard")
        csv = await http.get("/dashboard.csv", params={"table": "library"})
    assert page.status_code == 200 and 'data-table="library"' in page.text
    rows = {line.split(",")[0]: line.split(",") for line in csv.text.lstrip("\ufeff").splitlines()}
    assert rows["key"] == ["key", "name", "reused", "not_brought", "verified"]
    opening, food = rows["CATERING-OPENING"], rows["FOOD-BUSINESS"]
    assert int(opening[2]) >= 2 and int(opening[3]) >= 2
    assert int(food[4]) >= 1  # the verify page above
    # /public/stats shows last month: seen from next month, this month's figures.
    stats = await service_stats(app.deps, today=today_local().replace(day=1) + timedelta(days=40))
    assert stats.library is not None
    assert stats.library.reused >= 2 and stats.library.not_brought >= 2
    assert stats.library.verified >= 1
    async with client(app, "leader") as http:
        public = await http.get("/public/stats")
    assert 'id="library-figures"' in public.text
    leader = token("leader", settings=app.settings, sub="leader-figures")
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    await context.add_cookies([{"name": "lianban_token", "value": leader, "url": app.api_url}])
    shown = await context.new_page()
    try:
        await shown.goto(f"{app.api_url}/dashboard#library")
        section = shown.locator('section[data-table="library"]')
        await expect(section.locator('tr[data-row="CATERING-OPENING"]')).to_be_visible()
        await section.screenshot(path=str(ARTIFACTS / "dashboard-library.png"))
        await shown.goto(f"{app.api_url}/public/stats")
        await expect(shown.locator("#library-figures")).to_be_visible()
        await shown.screenshot(path=str(ARTIFACTS / "public-stats.png"), full_page=True)
    finally:
        await context.close()


async def test_a_revoked_licence_shows_revoked_everywhere(
    app: Any, story: Story, browser: Browser
) -> None:
    number = _number(story)
    reason = "经营场所变更未申报 premises changed without notice"
    async with client(app, "reviewer", "samr") as http:
        denied = await http.post(f"/licences/{number}/revoke", json={"reason": reason})
    assert denied.status_code == 403
    async with client(app, "dept_head", "env") as http:  # env does not review FOOD-BUSINESS
        denied = await http.post(f"/licences/{number}/revoke", json={"reason": reason})
    assert denied.status_code == 403 and denied.json()["error"] == "forbidden"
    async with client(app, "dept_head", "samr") as http:
        done = await http.post(f"/licences/{number}/revoke", json={"reason": reason})
        again = await http.post(f"/licences/{number}/revoke", json={"reason": reason})
    assert done.status_code == 200, done.text
    assert again.status_code == 409
    async with client(app, "clerk") as http:
        status = (await http.get(f"/public/licences/{number}/status")).json()
        entry = (await http.get(f"/library/{story.licence['library_id']}")).json()
        refused = await http.post(
            "/cases",
            json={
                "matter_code": "CATERING-OPENING",
                "title": "开业核查",
                "applicant": ENTERPRISE,
                "materials": [
                    file("floor-plan", "again"),
                    {"code": "food-business-licence", "library_id": story.licence["library_id"]},
                ],
            },
        )
    assert status["status"] == "revoked" and status["revoked_reason"] == reason
    assert entry["status"] == "revoked"
    assert refused.status_code == 422
    entry_id = story.licence["library_id"]
    assert refused.json()["detail"] == (
        f"materials[1] (food-business-licence): library entry {entry_id} is revoked"
    )
    async with client(app, "auditor") as http:
        replayed = (await http.get(f"/audit/cases/{story.case1}")).json()
    revoked = [line for line in replayed["timeline"] if line["event_type"] == "LicenceRevoked"]
    assert len(revoked) == 1 and revoked[0]["actor"] and reason in revoked[0]["summary"]
    page = await browser.new_page(viewport={"width": 1100, "height": 900}, locale="zh-CN")
    try:
        await page.goto(f"{app.api_url}/public/licences/{number}")
        await expect(page.locator("#licence-status")).to_have_attribute("data-status", "revoked")
        await expect(page.locator("#licence-status")).to_contain_text(reason)
        await page.screenshot(path=str(ARTIFACTS / "licence-revoked.png"), full_page=True)
        await fits_and_passes(page)
    finally:
        await page.close()
