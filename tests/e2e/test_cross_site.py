"""Issue 21, item 14: one rule against cross-site requests for the API and the pages. A change
authenticated by a cookie (the sign-in session or a pasted token) must carry this site's
`Origin` or `Referer`; neither, or another site's, is `403`. The tester claimed and resolved
through the API with the session cookie and no Origin, and a page form post with neither header
was accepted. Requests with `Authorization` (API clients) and reads are not affected."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.e2e.test_api import submitted_case
from tests.e2e.test_sign_in import new_user
from tests.stack import App
from tests.utils.auth import bearer

pytestmark = pytest.mark.e2e
EVIL = "https://evil.example"


@contextlib.asynccontextmanager
async def _signed_in(app: App, role: str, dept: str | None) -> AsyncIterator[httpx.AsyncClient]:
    """A client holding a session cookie and sending no Origin by itself."""
    username, password = await new_user(app, role, dept)
    async with httpx.AsyncClient(base_url=app.api_url, timeout=30) as http:
        form = {"username": username, "password": password}
        done = await http.post("/login", data=form, headers={"Origin": app.api_url})
        assert done.status_code == 303, done.text
        yield http


@pytest.fixture
async def reviewer(app: App) -> AsyncIterator[httpx.AsyncClient]:
    async with _signed_in(app, "reviewer", "fire") as http:
        yield http


@pytest.fixture
async def task_id(app: App) -> str:
    async with httpx.AsyncClient(base_url=app.api_url, timeout=30) as http:
        return f"{await submitted_case(http)}.fire"


async def test_an_api_change_by_cookie_needs_this_sites_origin(
    app: App, reviewer: httpx.AsyncClient, task_id: str
) -> None:
    own = {"Origin": app.api_url}
    for headers in ({}, {"Origin": EVIL}, {"Referer": f"{EVIL}/page"}, {"Origin": "null"}):
        for action in ("claim", "unclaim"):
            r = await reviewer.post(f"/tasks/{task_id}/{action}", headers=headers)
            assert r.status_code == 403, (headers, action, r.text)
            assert r.json()["error"] == "forbidden" and "cross-site" in r.json()["detail"]
    # Nothing was claimed by the refused requests.
    assert (await reviewer.get(f"/tasks/{task_id}")).json()["assignee"] is None
    claimed = await reviewer.post(f"/tasks/{task_id}/claim", headers=own)
    assert claimed.status_code == 200, claimed.text
    referred = await reviewer.post(
        f"/tasks/{task_id}/unclaim", headers={"Referer": f"{app.api_url}/inbox"}
    )
    assert referred.status_code == 200, referred.text


async def test_a_pasted_token_cookie_is_held_to_the_same_rule(app: App, task_id: str) -> None:
    token = bearer("reviewer", "fire", settings=app.settings)["Authorization"][7:]
    async with httpx.AsyncClient(base_url=app.api_url, timeout=30) as http:
        assert (
            await http.post("/login", data={"token": token}, headers={"Origin": app.api_url})
        ).status_code == 303
        assert "lianban_token" in http.cookies
        refused = await http.post(f"/tasks/{task_id}/claim")
        assert refused.status_code == 403
        done = await http.post(f"/tasks/{task_id}/claim", headers={"Origin": app.api_url})
        assert done.status_code == 200


async def test_follow_ups_are_resolved_only_from_this_site(app: App) -> None:
    async with _signed_in(app, "operator", None) as http:
        r = await http.post("/follow-ups/1/resolve")
        assert r.status_code == 403 and "cross-site" in r.json()["detail"]
        r = await http.post("/follow-ups/2147483000/resolve", headers={"Origin": app.api_url})
        assert r.status_code == 404  # through the check: no such item


async def test_a_page_form_post_with_neither_header_is_refused(
    app: App, reviewer: httpx.AsyncClient, task_id: str
) -> None:
    refused = await reviewer.post(f"/inbox/tasks/{task_id}/claim")
    assert refused.status_code == 403 and "neither Origin nor Referer" in refused.text
    evil = await reviewer.post(f"/inbox/tasks/{task_id}/claim", headers={"Origin": EVIL})
    assert evil.status_code == 403
    ok = await reviewer.post(f"/inbox/tasks/{task_id}/claim", headers={"Origin": app.api_url})
    assert ok.status_code == 303 and "claimed" in ok.headers["location"]
    logout = await reviewer.post("/logout")
    assert logout.status_code == 403  # a cross-site sign-out is refused too


async def test_bearer_clients_and_reads_are_not_affected(
    app: App, reviewer: httpx.AsyncClient, task_id: str
) -> None:
    assert (await reviewer.get(f"/tasks/{task_id}")).status_code == 200  # a read, by cookie
    headers = bearer("reviewer", "fire", settings=app.settings, sub="fire-bearer")
    async with httpx.AsyncClient(base_url=app.api_url, headers=headers, timeout=30) as http:
        assert (await http.post(f"/tasks/{task_id}/claim")).status_code == 200
