"""Issue 21, item 10: `X-Forwarded-For` is believed only from the proxies named in
LIANBAN_TRUSTED_PROXIES (none by default), and past a case's budget no address is checked.

The tester sent 150 wrong query codes, a new `X-Forwarded-For` with each: uvicorn believed the
header from 127.0.0.1, so every code was compared, and then the right one answered 200."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections import Counter
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn

from entrypoints.devstack.stack import free_port
from entrypoints.runner import api_config
from services.applicants import progress
from tests.e2e.test_public_and_privacy import submit
from tests.stack import App
from tests.utils.eventually import eventually

pytestmark = pytest.mark.e2e


async def _guess(http: httpx.AsyncClient, case_id: str, code: str, address: str) -> int:
    body = {"case_id": case_id, "query_code": code}
    r = await http.post("/public/progress", json=body, headers={"X-Forwarded-For": address})
    return r.status_code


async def test_a_new_forwarded_for_per_guess_gets_no_more_tries(app: App) -> None:
    async with httpx.AsyncClient(base_url=app.api_url, timeout=30) as http:
        case_id, code = await submit(http)
        answers = Counter(
            [await _guess(http, case_id, f"{i:06d}", f"198.51.100.{i}") for i in range(150)]
        )
        assert answers == {404: progress.MAX_FAILURES, 429: 150 - progress.MAX_FAILURES}
        assert await _guess(http, case_id, code, "203.0.113.200") == 429


@contextlib.asynccontextmanager
async def behind_proxy(app: App, proxies: list[str]) -> AsyncIterator[str]:
    """A second API server on the app's database, configured as `lianban serve` would be with
    LIANBAN_TRUSTED_PROXIES set to `proxies`."""
    settings = app.settings.model_copy(update={"trusted_proxies": proxies, "api_port": free_port()})
    server = uvicorn.Server(api_config(dataclasses.replace(app.deps, settings=settings)))
    task = asyncio.create_task(server.serve())

    async def started() -> bool:
        return server.started

    try:
        await eventually(started, what="the second API server")
        yield f"http://{settings.api_host}:{settings.api_port}"
    finally:
        server.should_exit = True
        await task


async def test_a_trusted_proxy_names_the_client(app: App) -> None:
    async with httpx.AsyncClient(base_url=app.api_url, timeout=30) as http:
        case_id, code = await submit(http)
    async with behind_proxy(app, ["127.0.0.1"]) as url, httpx.AsyncClient(base_url=url) as http:
        for _ in range(progress.MAX_FAILURES):
            assert await _guess(http, case_id, "nope", "198.51.100.1") == 404
        assert await _guess(http, case_id, code, "198.51.100.1") == 429  # that client's limit
        assert await _guess(http, case_id, code, "198.51.100.2") == 200  # another client
