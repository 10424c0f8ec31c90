"""Issue 21, item 17: the API's access log (entrypoints/http/observe.py). One line per request:
method, route template, status, duration, role; never the path as sent, an address, a body or
a query code."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from entrypoints.http.app import create_app
from infra.bootstrap import Deps
from tests.utils.auth import bearer


@pytest.fixture
async def http(sqlite_deps: Deps) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(sqlite_deps), client=("198.51.100.23", 4711))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


async def test_each_request_is_one_line_without_personal_data(
    http: httpx.AsyncClient, sqlite_deps: Deps, caplog: pytest.LogCaptureFixture
) -> None:
    clerk = bearer("clerk", settings=sqlite_deps.settings, sub="clerk-zhang", name="张伟")
    with caplog.at_level(logging.INFO, logger="lianban.access"):
        await http.get("/cases/LB-20261201-SECRET01", headers=clerk)
        ask = {"case_id": "LB-20261201-SECRET01", "query_code": "987654"}
        await http.post("/public/progress?x=110101199003077774", json=ask)
        await http.get("/no/such/route/13800138000")
    lines = [r for r in caplog.records if r.name == "lianban.access"]
    fields = [r.__dict__ for r in lines]
    assert [(f["method"], f["route"], f["status"], f["role"]) for f in fields] == [
        ("GET", "/cases/{case_id}", 404, "clerk"),
        ("POST", "/public/progress", 404, "-"),
        ("GET", "<unmatched>", 404, "-"),
    ]
    assert all(isinstance(f["duration_ms"], float) and f["duration_ms"] >= 0 for f in fields)
    text = "\n".join(r.getMessage() for r in lines)
    for secret in ("SECRET01", "987654", "110101199003077774", "13800138000", "198.51.100.23"):
        assert secret not in text
    assert "张伟" not in text and "clerk-zhang" not in text
