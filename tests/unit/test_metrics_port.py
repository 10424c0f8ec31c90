"""A part's metrics port (entrypoints/metrics_port.py): GET /metrics in Prometheus's format,
behind LIANBAN_METRICS_TOKEN when it is set; the port of the first part run that has one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from entrypoints.metrics_port import metrics_app, port_for
from infra import metrics
from infra.settings import Settings


@pytest.fixture
def switched_on() -> Iterator[None]:
    before = metrics.enabled()
    metrics.configure(Settings(metrics_enabled=True))
    try:
        yield
    finally:
        metrics.configure(Settings(metrics_enabled=before))


def test_open_without_a_token(switched_on: None) -> None:
    r = TestClient(metrics_app(Settings())).get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert "lianban_outbox_parked_rows" in r.text


def test_a_token_is_asked_for_when_set(switched_on: None) -> None:
    client = TestClient(metrics_app(Settings(metrics_token=SecretStr("scrape-me"))))
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert ok.status_code == 200 and "lianban_ready" in ok.text


def test_switched_off_nothing_is_served() -> None:
    before = metrics.enabled()
    metrics.configure(Settings(metrics_enabled=False))
    try:
        assert TestClient(metrics_app(Settings())).get("/metrics").status_code == 404
    finally:
        metrics.configure(Settings(metrics_enabled=before))


def test_the_first_part_with_a_port_serves() -> None:
    s = Settings(worker_metrics_port=0, consumers_metrics_port=9500, relay_metrics_port=9501)
    assert port_for(s, ["worker", "consumers", "relay"]) == 9500
    assert port_for(s, ["relay"]) == 9501
    assert port_for(s, ["worker"]) == 0
