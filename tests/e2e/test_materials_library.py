"""The materials library end to end (issue 25): case 2 takes case 1's licence and business
licence from the library; each department sees where they came from; the applicant sees them
as reused (the story itself: tests/e2e/library_flow.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from playwright.async_api import async_playwright, expect

from domain.library import library_id_for
from store.cases import get_case
from store.library import add_entries, applicant_key
from store.schema import cases, library_entries
from tests.e2e.kafka_util import Produce, dead_letter_for, read_until
from tests.e2e.library_flow import (
    CREDIT_CODE,
    ENTERPRISE,
    QUERY_CODE,
    Story,
    file,
    run_story,
    sha256,
    submit,
)
from tests.e2e.pages_util import fits_and_passes
from tests.e2e.test_browser import ARGS, ARTIFACTS, CHROMIUM
from tests.utils.auth import bearer, client


@pytest.fixture(scope="module")
async def story(app: Any) -> AsyncIterator[Story]:
    yield await run_story(app)


def _by_code(materials: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {m["code"]: m for m in materials}


async def test_case_two_is_accepted_with_both_filled_from_the_library(story: Story) -> None:
    assert story.accepted["tolerant"] is False and story.accepted["missing_materials"] == []
    reused = _by_code(story.reused["materials"])
    assert set(reused) == {"business-licence", "food-business-licence"}
    business, licence = reused["business-licence"], reused["food-business-licence"]
    assert business["provenance"] | {"library_id": None, "checked_on": None} == {
        "library_id": None,
        "how": "filled",
        "kind": "material",
        "source_case": story.case1,
        "checked_by": "samr",
        "checked_on": None,
        "valid_until": None,
        "licence_number": None,
    }
    assert business["sha256"] == story.business_licence_sha
    assert licence["provenance"]["kind"] == "licence"
    assert licence["provenance"]["library_id"] == story.licence["library_id"]
    assert licence["provenance"]["licence_number"] == story.licence["licence_number"]
    assert licence["sha256"] == story.licence["document_sha256"]


async def test_each_department_gets_the_provenance_on_its_task(story: Story) -> None:
    for dept, task in story.tasks.items():
        shared = _by_code(task["materials"])
        assert set(shared) == {
            "application-form",
            "floor-plan",
            "business-licence",
            "food-business-licence",
        }, dept
        assert shared["floor-plan"]["provenance"] is None
        assert shared["business-licence"]["provenance"]["source_case"] == story.case1
        assert shared["food-business-licence"]["provenance"]["checked_by"] == "center"


async def test_each_department_sees_the_provenance_in_its_inbox(app: Any, story: Story) -> None:
    async with httpx.AsyncClient(base_url=app.api_url, timeout=15) as http:
        for dept in ("fire", "env"):
            headers = bearer("reviewer", dept, settings=app.settings)
            inbox = await http.get("/inbox", headers=headers)
            assert inbox.status_code == 200
            assert f'data-task="{story.case2}.{dept}"' in inbox.text
            assert 'class="badge reused" data-reused="2"' in inbox.text
            page = await http.get(f"/inbox/tasks/{story.case2}.{dept}", headers=headers)
            assert page.status_code == 200, page.text
            html = page.text
            assert 'data-material="business-licence" data-reused="filled"' in html
            assert f"<strong data-source-case>{story.case1}</strong>" in html
            assert 'data-checked-by="samr">市场监督管理局' in html
            assert story.business_licence_sha in html
            assert story.licence["document_sha256"] in html


async def test_the_applicant_sees_them_as_reused(app: Any, story: Story) -> None:
    async with httpx.AsyncClient(base_url=app.api_url, timeout=15) as http:
        page = await http.post(
            "/progress",
            data={"case_id": story.case2, "query_code": QUERY_CODE},
            headers={"Origin": app.api_url},
        )
        assert page.status_code == 200, page.text
        assert 'data-material="business-licence" data-reused="filled"' in page.text
        assert 'data-material="food-business-licence" data-reused="filled"' in page.text
        assert 'data-material="floor-plan">' in page.text
        api = await http.post(
            "/public/progress", json={"case_id": story.case2, "query_code": QUERY_CODE}
        )
        materials = _by_code(api.json()["materials"])
        assert materials["food-business-licence"]["reused"]["source_case"] == story.case1
        # Case 1's own page lists what it added to the library, with the ids to name next time.
        first = await http.post(
            "/public/progress", json={"case_id": story.case1, "query_code": QUERY_CODE}
        )
        added = {e["code"]: e for e in first.json()["library"]}
        assert set(added) == {
            "application-form",
            "business-licence",
            "premises-lease",
            "food-business-licence",
        }
        assert added["food-business-licence"]["library_id"] == story.licence["library_id"]


async def test_the_audit_record_folds_the_reuse_into_the_same_case(app: Any, story: Story) -> None:
    # The read model's materials (with provenance) are what the audit chain's fold rebuilds.
    async with client(app, "auditor") as http:
        report = (await http.get(f"/audit/cases/{story.case2}/verify?temporal=false")).json()
        replayed = (await http.get(f"/audit/cases/{story.case2}")).json()
    assert report["ok"], report
    lines = [line["summary"] for line in replayed["timeline"]]
    assert any(
        line.startswith("materials from the library: business-licence (filled by the center)")
        for line in lines
    ), lines


# --- Refusals ------------------------------------------------------------------------------


def _entry_id(case_id: str, code: str) -> str:
    return library_id_for(f"{case_id}/material/{code}")


def _opening(applicant: dict[str, Any], named: dict[str, str]) -> dict[str, Any]:
    """A CATERING-OPENING submission naming `named` ({code: library_id}) from the library."""
    materials = [file("floor-plan", "refused")]
    materials += [{"code": code, "library_id": lid} for code, lid in named.items()]
    return {"matter_code": "CATERING-OPENING", "title": "开业核查", "applicant": applicant,
            "materials": materials}  # fmt: skip


async def _expired_entry(app: Any) -> str:
    """A business licence the enterprise had checked long ago, valid until last year."""
    found = applicant_key(app.deps.keyring, CREDIT_CODE)
    assert found is not None
    library_id = library_id_for(f"OLD-{uuid.uuid4().hex}/material/business-licence")
    async with app.deps.sessions() as s, s.begin():
        await add_entries(
            s,
            [
                {
                    "library_id": library_id,
                    "applicant_key": found[1],
                    "applicant_key_kid": found[0],
                    "code": "business-licence",
                    "kind": "material",
                    "sha256": sha256("old"),
                    "case_id": "OLD-CASE",
                    "department": "samr",
                    "checked_on": date.today() - timedelta(days=500),
                    "valid_until": date.today() - timedelta(days=30),
                }
            ],
        )
    return library_id


async def _cases(app: Any) -> int:
    async with app.deps.sessions() as s:
        return int(await s.scalar(sa.select(sa.func.count()).select_from(cases)) or 0)


async def test_refusals_name_the_material_and_store_nothing(app: Any, story: Story) -> None:
    other = {"kind": "enterprise", "name": "别家公司", "id_number": "91330106MA2H9YK81P"}
    expired = await _expired_entry(app)
    unknown = "LIB-" + "0" * 20
    refused = {
        "another applicant's": (
            _opening(other, {"business-licence": _entry_id(story.case1, "business-licence")}),
            f"materials[1] (business-licence): library entry "
            f"{_entry_id(story.case1, 'business-licence')} is another applicant's",
        ),
        "expired": (
            _opening(ENTERPRISE, {"business-licence": expired}),
            f"materials[1] (business-licence): library entry {expired} expired on "
            f"{date.today() - timedelta(days=30)}",
        ),
        "unknown": (
            _opening(ENTERPRISE, {"food-business-licence": unknown}),
            f"materials[1] (food-business-licence): no library entry {unknown}",
        ),
        "not reusable": (
            _opening(ENTERPRISE, {"application-form": _entry_id(story.case1, "application-form")}),
            "materials[1] (application-form): CATERING-OPENING does not take application-form "
            "from the library",
        ),
    }
    before = await _cases(app)
    async with client(app, "clerk") as http:
        for why, (body, detail) in refused.items():
            r = await http.post("/cases", json=body)
            assert r.status_code == 422, (why, r.text)
            assert r.json() == {"error": "material_refused", "detail": detail}, why
    assert await _cases(app) == before


async def test_a_refusal_over_kafka_is_a_dead_letter_with_the_reason(
    app: Any, story: Story
) -> None:
    case_id = f"CO-X-{uuid.uuid4().hex[:8].upper()}"
    unknown = "LIB-" + "F" * 20
    body = _opening(ENTERPRISE, {"business-licence": unknown})
    async with Produce(app.settings.kafka_bootstrap) as produce:
        source = await submit(produce, app, case_id, body)
    dead = await read_until(
        app.settings.kafka_bootstrap, app.settings.topics.dead_letters, dead_letter_for(source)
    )
    assert dead["data"]["error"] == "material_refused"
    assert dead["data"]["detail"] == f"materials[1] (business-licence): no library entry {unknown}"
    async with app.deps.sessions() as s:
        assert await get_case(s, case_id) is None


async def test_the_pages_in_chromium(app: Any, story: Story) -> None:
    """The task page (fire), the inbox, the applicant's progress page and the dashboard's
    library table, as Chromium draws them (screenshots in tests/artifacts/)."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            headers = bearer("reviewer", "fire", settings=app.settings)
            context = await browser.new_context(
                viewport={"width": 1280, "height": 800}, locale="zh-CN", extra_http_headers=headers
            )
            page = await context.new_page()
            await page.goto(f"{app.api_url}/inbox/tasks/{story.case2}.fire")
            reused = page.locator('[data-material="food-business-licence"] .provenance')
            await expect(reused).to_contain_text(story.case1)
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "task-provenance.png"), full_page=True)
            await fits_and_passes(page)
            await page.goto(f"{app.api_url}/inbox")
            await expect(
                page.locator(f'[data-task="{story.case2}.fire"] .badge.reused')
            ).to_be_visible()
            await page.screenshot(path=str(ARTIFACTS / "inbox-reused.png"))
            await context.close()
            page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
            await page.goto(f"{app.api_url}/progress")
            await page.get_by_label("办件编号 Case number").fill(story.case2)
            await page.get_by_label("查询码 Query code").fill(QUERY_CODE)
            await page.get_by_role("button", name="查询 Look up").click()
            await expect(page.locator('[data-reused="filled"]')).to_have_count(2)
            await page.screenshot(path=str(ARTIFACTS / "progress-reused.png"), full_page=True)
            await fits_and_passes(page)
        finally:
            await browser.close()


async def test_the_staff_case_page_shows_the_provenance(app: Any, story: Story) -> None:
    async with client(app, "clerk") as http:
        page = await http.get(f"/case/{story.case2}")
    assert page.status_code == 200, page.text
    assert 'data-material="food-business-licence" data-reused="filled"' in page.text
    assert f"<strong data-source-case>{story.case1}</strong>" in page.text


async def test_entries_keep_a_keyed_hash_never_the_number(app: Any, story: Story) -> None:
    async with app.deps.sessions() as s:
        rows = (
            await s.execute(
                sa.select(library_entries).where(library_entries.c.case_id == story.case1)
            )
        ).all()
    assert len(rows) == 4
    found = applicant_key(app.deps.keyring, CREDIT_CODE)
    assert found is not None and {r.applicant_key for r in rows} == {found[1]}
    assert {r.applicant_key_kid for r in rows} == {app.settings.payload_kid}
    assert all(CREDIT_CODE not in str(tuple(r)) for r in rows)
