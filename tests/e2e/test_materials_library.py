"""The materials library end to end (issue 25): case 2 takes case 1's licence and business
licence from the library; each department sees where they came from; the applicant sees them
as reused (the story itself: tests/e2e/library_flow.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from tests.e2e.library_flow import QUERY_CODE, Story, run_story
from tests.utils.auth import bearer


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
            assert "证照复用 2 from the library" in inbox.text
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
