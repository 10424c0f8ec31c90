"""`/docs` renders in real Chromium with no internet: every request that leaves 127.0.0.1 is
refused, and Swagger UI must still draw the operations (issue 16: it loaded from a CDN and the
page stayed blank). ReDoc likewise."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
import uvicorn
from playwright.async_api import Page, Route, async_playwright, expect

from entrypoints.devstack.stack import free_port
from entrypoints.http.app import create_app
from infra.settings import get_settings
from tests.e2e.test_browser import ARGS, ARTIFACTS, CHROMIUM, HAVE_CHROMIUM
from tests.utils.eventually import eventually


@pytest.fixture
async def api_url() -> AsyncIterator[str]:
    # The documentation pages read no dependency: the app alone, without the stack, suffices.
    deps: Any = SimpleNamespace(settings=get_settings())
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(deps), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    try:
        await eventually(started, timeout=20)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _offline_page(pw: Any, blocked: list[str], refused: list[str] | None = None) -> Page:
    """A page whose requests may not leave 127.0.0.1; `refused` collects what the page's
    Content-Security-Policy refused (the console says so)."""
    if not HAVE_CHROMIUM:
        pytest.fail(f"{CHROMIUM} missing: `apt-get install -y chromium` (make test does it)")
    browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
    page = await browser.new_page()
    if refused is not None:
        page.on(
            "console",
            lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
        )

    async def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            await route.continue_()
        else:
            blocked.append(route.request.url)
            await route.abort("internetdisconnected")

    await page.route("**/*", only_local)
    return page


async def test_swagger_ui_renders_without_internet(api_url: str) -> None:
    blocked: list[str] = []
    refused: list[str] = []
    async with async_playwright() as pw:
        page = await _offline_page(pw, blocked, refused)
        answer = await page.goto(f"{api_url}/docs")
        assert answer is not None
        _framing_refused(answer.headers)
        # Its one inline script is allowed by its hash, not by allowing every inline script.
        assert "script-src 'self' 'sha256-" in answer.headers["content-security-policy"]
        await expect(page.locator(".swagger-ui .info .title")).to_contain_text(
            "Lianban", timeout=20000
        )
        # The operations themselves, read from /openapi.json, not just the frame.
        await expect(page.locator(".opblock-summary-path").first).to_be_visible()
        assert await page.locator(".opblock").count() > 20
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "docs.png"))
        await page.context.browser.close()  # type: ignore[union-attr]
    assert blocked == [], blocked
    assert refused == [], refused  # the policy allows what Swagger UI needs, and no more


async def test_redoc_renders_without_internet(api_url: str) -> None:
    blocked: list[str] = []
    refused: list[str] = []
    async with async_playwright() as pw:
        page = await _offline_page(pw, blocked, refused)
        answer = await page.goto(f"{api_url}/redoc")
        assert answer is not None
        _framing_refused(answer.headers)
        await expect(page.locator(".api-content h1").first).to_contain_text(
            "Lianban", timeout=20000
        )
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / "redoc.png"))
        await page.context.browser.close()  # type: ignore[union-attr]
    # The policy refuses only the footer logo from Redocly's CDN (nothing from elsewhere).
    assert all("https://cdn.redoc.ly/" in text for text in refused), refused
    # Only ReDoc's "API docs by Redocly" footer logo is fetched from outside; its absence
    # does not affect the page.
    assert all(url.startswith("https://cdn.redoc.ly/") for url in blocked), blocked


def _framing_refused(headers: dict[str, str]) -> None:
    """Issue 21, item 18: the documentation pages had no policy at all."""
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "'unsafe-inline'" not in policy.split(";")[1]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
