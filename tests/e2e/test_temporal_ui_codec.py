"""The embedded Temporal Web UI reads the case, with no manual step: `lianban dev`'s wiring
(a codec key for the run, the UI's origin allowed, `--ui-codec-endpoint` given to the dev
server) on a real dev server with its UI, the app writing encrypted payloads, and real
Chromium opening the case's workflow and finding its title in the clear. Screenshot:
tests/artifacts/temporal_ui_decoded.png."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect

from entrypoints.cli.serving import ui_codec
from entrypoints.devstack.server import ui_codec_endpoint
from entrypoints.devstack.stack import EmbeddedStack, StackConfig, free_port
from infra.settings import Settings
from tests.e2e.test_api import SUBMISSION, case_when
from tests.e2e.test_browser import ARTIFACTS, browser
from tests.stack import App, running_app
from tests.utils.auth import bearer

__all__ = ["browser"]
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
async def with_ui(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[App, str]]:
    """A stack with its Web UI and the app, wired as `lianban dev` wires them."""
    base = Settings(api_port=free_port(), temporal_ui_port=free_port())
    wired = base.model_copy(update=ui_codec(base))
    assert wired.codec_path_key is not None
    config = StackConfig(
        var_dir=tmp_path_factory.mktemp("ui-stack"),
        temporal_port=free_port(),
        temporal_ui_port=wired.temporal_ui_port,
        kafka_port=free_port(),
        temporal_db=None,
        ui_codec_endpoint=ui_codec_endpoint(wired),
    )
    async with EmbeddedStack(config) as stack:
        db = tmp_path_factory.mktemp("ui-db") / "lianban.db"
        async with running_app(
            stack.temporal_address,
            stack.kafka_bootstrap,
            f"sqlite+aiosqlite:///{db}",
            api_port=wired.api_port,
            codec_path_key=wired.codec_path_key,
            codec_cors_origins=wired.codec_cors_origins,
        ) as app:
            assert stack.ui_url is not None
            yield app, stack.ui_url


async def test_the_web_ui_shows_the_case_decoded(
    with_ui: tuple[App, str], browser: Browser
) -> None:
    app, ui = with_ui
    word = f"码{uuid.uuid4().hex[:6]}"
    body = {**SUBMISSION, "title": f"{word}餐馆 Noodles {word}"}
    async with httpx.AsyncClient(base_url=app.api_url, timeout=30) as http:
        r = await http.post("/cases", json=body, headers=bearer("clerk", settings=app.settings))
        assert r.status_code == 202, r.text
        case_id = r.json()["case_id"]
        await case_when(http, case_id, lambda c: len(c["tasks"]) > 0)
    page = await browser.new_page(viewport={"width": 1400, "height": 1000})
    await page.goto(f"{ui}/namespaces/default/workflows/{case_id}")
    # The workflow's input is stored encrypted; the UI shows its title only if it decoded it.
    await expect(page.get_by_text(f"{word}餐馆", exact=False).first).to_be_visible(timeout=60_000)
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "temporal_ui_decoded.png"), full_page=True)
    await page.close()


def test_no_key_no_codec_route(tmp_path: Path) -> None:
    # Without LIANBAN_CODEC_PATH_KEY the dev server gets no codec endpoint at all.
    assert ui_codec_endpoint(Settings()) is None
    assert ui_codec(Settings(temporal_ui_port=0)) == {}
