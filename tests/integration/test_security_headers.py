"""Issue 21, item 18: every answer carries a Content-Security-Policy that forbids framing, and
`nosniff`: the documentation pages, SVG charts, CSV exports and JSON had none. The sign-in
cookies' `Secure` is a setting, on unless turned off: it followed `X-Forwarded-Proto`, which
uvicorn believed from 127.0.0.1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from entrypoints.http.app import create_app
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings
from tests.utils.auth import bearer


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[Deps]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'headers.db'}",
        calendar_dir=None,
        token_sign_in=True,
    )
    made = await bootstrap(settings, temporal=False, migrate=True)
    yield made
    await made.close()


def _client(deps: Deps) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=create_app(deps))
    return httpx.AsyncClient(transport=transport, base_url="http://t")


def _not_framed_nor_sniffed(r: httpx.Response) -> str:
    assert r.headers["x-content-type-options"] == "nosniff", r.url
    assert r.headers["x-frame-options"] == "DENY", r.url
    policy = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy, r.url
    return policy


async def test_charts_exports_and_json_run_nothing_and_are_not_framed(deps: Deps) -> None:
    leader = bearer("leader", settings=deps.settings)
    async with _client(deps) as http:
        svg = await http.get("/reports/sla.svg", headers=leader)
        csv = await http.get("/dashboard.csv?table=overview", headers=leader)
        spec = await http.get("/openapi.json")
        refused = await http.get("/cases/LB-NOPE")
        asset = await http.get("/docs-assets/swagger-ui.css")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    for r in (svg, csv, spec, refused, asset):
        policy = _not_framed_nor_sniffed(r)
        assert "default-src 'none'" in policy and "sandbox" in policy, r.url


async def test_pages_and_docs_have_their_own_policies(deps: Deps) -> None:
    async with _client(deps) as http:
        page = await http.get("/login")
        docs = await http.get("/docs")
        redoc = await http.get("/redoc")
    assert "form-action 'self'" in _not_framed_nor_sniffed(page)
    assert page.headers["cache-control"] == "no-store"
    assert "'sha256-" in _not_framed_nor_sniffed(docs)
    assert "worker-src 'self' blob:" in _not_framed_nor_sniffed(redoc)


async def _cookie(deps: Deps) -> str:
    token = bearer("reviewer", "fire", settings=deps.settings)["Authorization"][7:]
    headers = {"Origin": "http://t", "X-Forwarded-Proto": "http"}
    async with _client(deps) as http:
        r = await http.post("/login", data={"token": token}, headers=headers)
    assert r.status_code == 303, r.text
    return r.headers["set-cookie"]


async def test_the_sign_in_cookie_is_secure_unless_turned_off(deps: Deps) -> None:
    cookie = await _cookie(deps)
    assert "lianban_token=" in cookie and "secure" in cookie.lower()
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    deps.settings.secure_cookies = False  # `lianban dev`, plain HTTP
    assert "secure" not in (await _cookie(deps)).lower()
