"""Staff single sign-on by the OpenID Connect authorization-code flow (with PKCE) against an
identity provider the test runs itself: over HTTP, and in real Chromium."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from playwright.async_api import async_playwright, expect

from store.staff import get_user
from tests.e2e.test_browser import ARGS, CHROMIUM
from tests.stack import App
from tests.utils.identity_provider import IdentityProvider, identity_provider

pytestmark = pytest.mark.e2e
FIRE_REVIEWER = {
    "sub": "u-1001",
    "lianban_role": "reviewer",
    "lianban_dept": "fire",
    "name": "王工",
}


@contextlib.contextmanager
def configured(app: App, idp: IdentityProvider) -> Iterator[None]:
    before = {k: getattr(app.deps.settings, k) for k in idp.settings(app.api_url)}
    for k, v in idp.settings(app.api_url).items():
        setattr(app.deps.settings, k, v)
    try:
        yield
    finally:
        for k, v in before.items():
            setattr(app.deps.settings, k, v)


@pytest.fixture
async def idp(app: App) -> AsyncIterator[IdentityProvider]:
    async with identity_provider() as running:
        running.user = dict(FIRE_REVIEWER)
        with configured(app, running):
            yield running


def browser_client(app: App) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=app.api_url, follow_redirects=True, timeout=30)


async def test_a_reviewer_signs_on_and_gets_a_session(app: App, idp: IdentityProvider) -> None:
    async with browser_client(app) as http:
        landed = await http.get("/login/sso", params={"next": "/inbox"})
        tasks = await http.get("/departments/fire/tasks")
        other = await http.get("/departments/env/tasks")
    assert landed.status_code == 200 and str(landed.url).endswith("/inbox"), landed.text[:300]
    assert 'data-department="fire">联审待办 Review inbox' in landed.text
    assert tasks.status_code == 200 and other.status_code == 404
    async with app.deps.sessions() as s:
        account = await get_user(s, "sso:u-1001")
    assert account is not None and account["role"] == "reviewer"
    assert account["dept"] == "fire" and account["display_name"] == "王工"


async def test_the_idp_keys_are_fetched_once_for_many_sign_ins(
    app: App, idp: IdentityProvider
) -> None:
    for _ in range(3):
        async with browser_client(app) as http:
            landed = await http.get("/login/sso", params={"next": "/inbox"})
        assert landed.status_code == 200 and str(landed.url).endswith("/inbox")
    assert idp.jwks_fetches == 1  # cached (infra/oidc.py), as the bearer tokens' keys are


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"tamper_nonce": True}, "nonce"),
        ({"user": {**FIRE_REVIEWER, "lianban_role": "applicant"}}, "not a staff role"),
        ({"user": {"sub": "u-2"}}, "no Lianban role"),
    ],
)
async def test_a_bad_answer_from_the_idp_opens_no_session(
    app: App, idp: IdentityProvider, change: dict[str, Any], fragment: str
) -> None:
    for k, v in change.items():
        setattr(idp, k, v)
    async with browser_client(app) as http:
        answer = await http.get("/login/sso")
        assert answer.status_code == 401 and fragment in answer.text, answer.text[:400]
        assert "lianban_session" not in http.cookies


async def test_another_state_is_refused(app: App, idp: IdentityProvider) -> None:
    async with httpx.AsyncClient(base_url=app.api_url, timeout=30) as http:
        away = await http.get("/login/sso")
        assert away.status_code == 303 and away.headers["location"].startswith(idp.issuer)
        forged = await http.get("/login/sso/callback", params={"code": "x", "state": "forged"})
    assert forged.status_code == 401 and "another state" in forged.text


async def test_without_configuration_the_page_says_so(app: App) -> None:
    async with browser_client(app) as http:
        answer = await http.get("/login/sso")
    assert answer.status_code == 404 and "not configured" in answer.text


async def test_single_sign_on_in_chromium(app: App, idp: IdentityProvider) -> None:
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = await browser.new_page()
            await page.goto(f"{app.api_url}/inbox")
            await page.locator("#sso-sign-in").click()
            await expect(page).to_have_url(f"{app.api_url}/inbox")
            await expect(
                page.get_by_role("heading", name="Review inbox · 消防救援支队 Fire & Rescue")
            ).to_be_visible()
        finally:
            await browser.close()
