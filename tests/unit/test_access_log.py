"""Every request measured and logged (entrypoints/http/observe.py): route template, method,
status, duration and role; never the path as sent, the query string or who asked."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from entrypoints.http.observe import Observe
from infra import metrics
from infra.tokens import Principal, Role


def app() -> FastAPI:
    api = FastAPI()
    api.add_middleware(Observe)

    @api.get("/cases/{case_id}")
    async def case(case_id: str, request: Request) -> dict[str, str]:
        request.state.principal = Principal("clerk-7", Role.clerk, name="张伟")
        return {"case_id": case_id}

    @api.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.get("/boom")
    async def boom() -> None:
        raise RuntimeError("bug")

    return api


def count(route: str, method: str, status: str) -> float:
    value = metrics.REGISTRY.get_sample_value(
        "lianban_http_requests_total", {"route": route, "method": method, "status": status}
    )
    return value or 0.0


def test_a_request_is_logged_by_its_template_and_role(caplog: pytest.LogCaptureFixture) -> None:
    before = count("/cases/{case_id}", "GET", "200")
    with caplog.at_level(logging.INFO, "lianban.access"), TestClient(app()) as client:
        assert client.get("/cases/LB-2026-000777?code=483920").status_code == 200
    (record,) = [r for r in caplog.records if r.name == "lianban.access"]
    fields = {k: getattr(record, k) for k in ("route", "method", "status", "role")}
    assert fields == {"route": "/cases/{case_id}", "method": "GET", "status": 200, "role": "clerk"}
    assert record.duration_ms >= 0  # type: ignore[attr-defined]
    text = record.getMessage() + str(record.__dict__)
    assert "LB-2026-000777" not in text and "483920" not in text and "张伟" not in text
    assert count("/cases/{case_id}", "GET", "200") == before + 1


def test_probes_are_counted_not_logged_and_unknown_paths_share_one_series(
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = count("<unmatched>", "GET", "404")
    with caplog.at_level(logging.INFO, "lianban.access"), TestClient(app()) as client:
        client.get("/healthz")
        client.get("/nope/LB-2026-000778")
        client.get("/other/thing")
    logged = [r.route for r in caplog.records if r.name == "lianban.access"]  # type: ignore[attr-defined]
    assert logged == ["<unmatched>", "<unmatched>"]
    assert count("<unmatched>", "GET", "404") == before + 2
    assert count("/healthz", "GET", "200") >= 1


def test_an_unhandled_error_is_a_500_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, "lianban.access"):
        client = TestClient(app(), raise_server_exceptions=False)
        assert client.get("/boom").status_code == 500
    (record,) = [r for r in caplog.records if r.name == "lianban.access"]
    assert record.status == 500 and record.role == "-"  # type: ignore[attr-defined]
