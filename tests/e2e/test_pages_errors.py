"""What a person in a browser gets when something is wrong, over HTTP: an HTML page in both
languages (404, 422, each bad field named), never JSON; API clients keep their JSON. A refused
decision comes back with the choice kept and the problem by its field. Deciding a task nobody
holds claims it. The search finds only what the person may read."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from store.schema import task_assignments
from tests.e2e.pages_util import World
from tests.e2e.test_api import case_when
from tests.utils.auth import bearer

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def browser(app: Any, role: str, dept: str | None = None, **kw: Any) -> httpx.AsyncClient:
    headers = {**HTML, **bearer(role, dept, settings=app.settings, **kw)}
    return httpx.AsyncClient(base_url=app.api_url, headers=headers, timeout=15)


def api_client(app: Any, role: str, dept: str | None = None) -> httpx.AsyncClient:
    headers = bearer(role, dept, settings=app.settings)
    return httpx.AsyncClient(base_url=app.api_url, headers=headers, timeout=15)


@pytest.mark.parametrize(
    ("role", "dept", "path", "field"),
    [
        ("reviewer", "fire", "/inbox?view=bogus", "view"),
        ("reviewer", "fire", "/inbox?urgency=purple", "urgency"),
        ("reviewer", "fire", "/inbox?page=0", "page"),
        ("government_head", None, "/extensions?view=bogus", "view"),
        ("leader", None, "/supervision/board?status=maybe", "status"),
        ("clerk", None, f"/search?q={'x' * 101}", "q"),
    ],
)
async def test_bogus_query_gives_a_browser_an_html_422(
    app: Any, role: str, dept: str | None, path: str, field: str
) -> None:
    async with browser(app, role, dept) as http:
        r = await http.get(path)
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html"), r.text
    assert "请检查填写的内容 Please check what you entered" in r.text
    assert f'data-field="{field}"' in r.text


async def test_a_refused_filter_value_names_itself(app: Any) -> None:
    async with browser(app, "operator") as http:
        ops = await http.get("/ops?reason=bogus")
        matter = await http.get("/inbox?dept=fire&matter=OUTDOOR-AD")
    assert ops.status_code == 422 and ops.headers["content-type"].startswith("text/html")
    assert "bogus" in ops.text
    assert matter.status_code == 422 and "does not review matter OUTDOOR-AD" in matter.text


async def test_api_clients_keep_json(app: Any) -> None:
    async with api_client(app, "reviewer", "fire") as http:
        bad = await http.get("/departments/fire/tasks?view=bogus")
        missing = await http.get("/no/such/route")
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_request"
    assert missing.status_code == 404 and missing.json() == {
        "error": "not_found",
        "detail": "Not Found",
    }


async def test_unknown_path_gives_a_browser_an_html_404(app: Any) -> None:
    async with browser(app, "reviewer", "fire") as http:
        signed_in = await http.get("/no/such/page")
    async with httpx.AsyncClient(base_url=app.api_url, headers=HTML) as http:
        anonymous = await http.get("/cases/NOPE/nothing")
    for r in (signed_in, anonymous):
        assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
        assert "没有此页面" in r.text and "There is no page at" in r.text
    assert 'data-place="inbox"' in signed_in.text  # the person's own navigation bar
    assert 'href="/login"' in anonymous.text


async def test_rejecting_without_a_reason_keeps_the_choice(app: Any, world: World) -> None:
    task = f"{world.cases['a11y']}.cad"
    async with browser(app, "reviewer", "cad", sub="cad-r1") as http:
        r = await http.post(
            f"/inbox/tasks/{task}/decide",
            data={"outcome": "reject", "conditions": "typed conditions stay"},
        )
    assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
    assert re.search(r'value="reject" checked', r.text)
    assert "请至少填写一条理由" in r.text and "Give at least one reason" in r.text
    assert 'id="reasons-error"' in r.text and 'aria-describedby="reasons-error"' in r.text
    assert "typed conditions stay</textarea>" in r.text
    assert "pydantic" not in r.text  # the finding: a pydantic dump above the form


async def test_deciding_an_unclaimed_task_claims_it(app: Any, world: World) -> None:
    task = f"{world.cases['a11y']}.nrp"
    async with browser(app, "reviewer", "nrp", sub="nrp-r9", name="赵工") as http:
        r = await http.post(f"/inbox/tasks/{task}/decide", data={"outcome": "approve"})
    assert r.status_code == 303, r.text
    async with app.deps.sessions() as s:
        row = (
            await s.execute(sa.select(task_assignments).where(task_assignments.c.task_id == task))
        ).one()
    assert row.assignee == "nrp-r9" and row.assigned_by == "nrp-r9"
    async with httpx.AsyncClient(base_url=app.api_url, timeout=15) as http:
        case = await case_when(
            http,
            world.cases["a11y"],
            lambda c: any(t["department"] == "nrp" and t["reviewer"] for t in c["tasks"]),
        )
    assert next(t for t in case["tasks"] if t["department"] == "nrp")["reviewer"] == "赵工"


async def test_search_and_case_page_stay_within_what_one_may_read(app: Any, world: World) -> None:
    """Market regulation reviews no construction case: it finds none and its case page is a
    404; fire finds it; an exact case number opens its page."""
    word, case_id = world.words["a11y"], world.cases["a11y"]
    async with browser(app, "reviewer", "samr") as http:
        none = await http.get("/search", params={"q": word})
        hidden = await http.get(f"/case/{case_id}")
    async with browser(app, "reviewer", "fire") as http:
        found = await http.get("/search", params={"q": word})
        exact = await http.get("/search", params={"q": case_id.lower()})
    assert none.status_code == 200 and f'data-case="{case_id}"' not in none.text
    assert hidden.status_code == 404 and hidden.headers["content-type"].startswith("text/html")
    assert f'data-case="{case_id}"' in found.text
    assert exact.status_code == 303 and exact.headers["location"] == f"/case/{case_id}"
