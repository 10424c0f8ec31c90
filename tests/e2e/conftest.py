"""Fixtures of the page tests, shared by their modules: one Chromium and one world of cases for
the whole session (the app is the session's, tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright

from tests.e2e.pages_util import World, build_world
from tests.e2e.test_browser import ARGS, CHROMIUM, HAVE_CHROMIUM


@pytest.fixture(scope="session")
async def chromium() -> AsyncIterator[Browser]:
    if not HAVE_CHROMIUM:
        pytest.fail(f"{CHROMIUM} missing: `apt-get install -y chromium` (make test does it)")
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture(scope="session")
async def world(app: Any) -> World:
    return await build_world(app)
