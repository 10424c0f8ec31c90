"""A scrape of a running Lianban after cases ran: every metric the alert rules and the Grafana
dashboard query is there, labels carry no case number or personal data, the figures move with
the work; a process without the API serves its metrics on its part's port; the access log."""

from __future__ import annotations

import json
import logging
import re
import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
import yaml
from prometheus_client.parser import text_string_to_metric_families

from entrypoints.cli.deploy_monitoring import metric_names
from entrypoints.devstack.stack import EmbeddedStack, free_port
from entrypoints.metrics_port import serve_port
from entrypoints.runner import Parts
from infra.settings import Settings
from store.schema import cases
from tests.conftest import anchors_in
from tests.e2e.ops_util import decide, decision_doc, new_case_id
from tests.e2e.test_api import CLERK, SUBMISSION, case_when
from tests.e2e.test_api import decide as decide_task
from tests.stack import App, running_app
from tests.utils.eventually import eventually

pytestmark = pytest.mark.e2e
DEPLOY = Path(__file__).parents[2] / "deploy"
# Every label name a Lianban or Temporal SDK series may carry: none of them is about a case or
# a person, and each takes its values from a small fixed set.
LABELS = {
    "route", "method", "status", "topic", "outcome", "reason", "group", "partition", "matter",
    "clock", "department", "source", "check", "part", "le",
    "namespace", "task_queue", "workflow_type", "activity_type", "operation", "service_name",
    "worker_type", "poller_type", "status_code", "eager", "generation", "implementation",
    "major", "minor", "patchlevel", "version", "exception_type",
}  # fmt: skip


SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count")}


def scrape_text(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Series by name; a family with no series yet (a labelled counter nothing has counted)
    is there by its names with no samples."""
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for suffix in SUFFIXES.get(family.type, ("",)):
            found.setdefault(family.name + suffix, [])
        for s in family.samples:
            found.setdefault(s.name, []).append((dict(s.labels), s.value))
    return found


async def scrape(app: App) -> dict[str, list[tuple[dict[str, str], float]]]:
    async with httpx.AsyncClient(base_url=app.api_url, timeout=15) as http:
        r = await http.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return scrape_text(r.text)


def total(found: dict[str, Any], name: str, **labels: str) -> float:
    return sum(v for ls, v in found.get(name, []) if labels.items() <= ls.items())


async def run_a_case(app: App) -> str:
    """A construction case through every department over the API, to its licence."""
    async with httpx.AsyncClient(base_url=app.api_url, timeout=30, headers=CLERK) as http:
        r = await http.post("/cases", json=SUBMISSION)
        assert r.status_code == 202, r.text
        case_id: str = r.json()["case_id"]
        case = await case_when(http, case_id, lambda c: len(c["tasks"]) == 5, timeout=60)
        for task in case["tasks"]:
            assert (await decide_task(http, task["task_id"], outcome="approve")).status_code == 202
        await case_when(http, case_id, lambda c: c["status"] == "issued", timeout=60)
    return case_id


def queried(*, dashboard: bool) -> set[str]:
    if dashboard:
        doc = json.loads((DEPLOY / "grafana" / "lianban.json").read_text())
        exprs = [t["expr"] for p in doc["panels"] for t in p.get("targets", [])]
    else:
        rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yaml").read_text())
        exprs = [r["expr"] for g in rules["groups"] for r in g["rules"]]
    # `up` is Prometheus's own series about each scrape, not something a process exports.
    return {n for e in exprs for n in metric_names(e)} - {"up"}


async def test_every_metric_the_rules_and_the_dashboard_query_is_exported(app: App) -> None:
    await run_a_case(app)
    found = await scrape(app)
    for dashboard in (False, True):
        missing = sorted(queried(dashboard=dashboard) - set(found))
        assert not missing, f"{'dashboard' if dashboard else 'rules'} query {missing}"


async def test_labels_carry_no_case_number_query_code_or_personal_data(app: App) -> None:
    await run_a_case(app)
    # A decision for a case that does not exist: a dead letter whose case number is made up.
    ghost = new_case_id()
    await decide(app, decision_doc(ghost, "fire"))
    async with app.deps.sessions() as s:
        rows = (await s.execute(sa.select(cases.c.case_id, cases.c.query_code))).all()
    secrets = {r.case_id for r in rows} | {r.query_code for r in rows} | {ghost}
    applicant = SUBMISSION["applicant"]
    secrets |= {applicant["name"], applicant["id_number"], applicant["phone"]}  # type: ignore[index]

    async def dead_letter_counted() -> dict[str, Any] | None:
        found = await scrape(app)
        return found if total(found, "lianban_dead_letters_total", reason="unknown_case") else None

    found = await eventually(dead_letter_counted, timeout=60, what="the dead letter counted")
    values = {v for series in found.values() for ls, _ in series for v in ls.values()}
    names = {k for series in found.values() for ls, _ in series for k in ls}
    assert not {v for v in values for s in secrets if s and s in v}
    assert names <= LABELS, names - LABELS
    routes = {ls["route"] for ls, _ in found["lianban_http_requests_total"]}
    assert "/cases/{case_id}" in routes and not [r for r in routes if re.search(r"\d{4,}", r)]


async def test_the_figures_move_with_the_work(app: App) -> None:
    before = await scrape(app)
    await run_a_case(app)
    after = await scrape(app)

    def moved(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert moved("lianban_decision_latency_seconds_count", source="api") >= 5
    assert moved("lianban_consumer_records_total", outcome="applied") >= 0
    assert moved("lianban_relay_published_total") >= 5
    assert moved("lianban_relay_publish_latency_seconds_count") >= 5
    assert (
        moved("lianban_http_requests_total", route="/tasks/{task_id}/decision", status="202") == 5
    )
    assert moved("temporal_workflow_completed_total", workflow_type="CaseWorkflow") >= 1
    # (The registry is the process's: other apps of the test session have series there too.)
    lag = {ls["topic"] for ls, _ in after["lianban_consumer_lag_records"]}
    assert {app.settings.topics.submissions, app.settings.topics.decisions} <= lag
    running = {ls["clock"] for ls, _ in after["lianban_cases_running"]}
    assert running == {"green", "yellow", "red", "breach"}


async def test_the_access_log_names_the_route_and_role_only(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, "lianban.access"):
        case_id = await run_a_case(app)
    records = [r for r in caplog.records if r.name == "lianban.access"]
    decided = [r for r in records if r.route == "/tasks/{task_id}/decision"]  # type: ignore[attr-defined]
    assert len(decided) == 5 and {r.role for r in decided} == {"reviewer"}  # type: ignore[attr-defined]
    assert {r.status for r in decided} == {202}  # type: ignore[attr-defined]
    assert not [r for r in records if case_id in r.getMessage() + str(r.__dict__)]


async def test_a_process_without_the_api_serves_its_metrics_port(
    stack: EmbeddedStack, tmp_path_factory: pytest.TempPathFactory
) -> None:
    port = free_port()
    db = tmp_path_factory.mktemp("relay-only") / "lianban.db"
    async with (
        running_app(
            stack.temporal_address,
            stack.kafka_bootstrap,
            f"sqlite+aiosqlite:///{db}",
            Parts(worker=False, consumers=False, relay=True, api=False),
            audit=anchors_in(tmp_path_factory),
            relay_metrics_port=port,
            metrics_refresh_seconds=0.5,
        ),
        httpx.AsyncClient(timeout=5) as http,
    ):

        async def scraped() -> dict[str, Any] | None:
            found = scrape_text((await http.get(f"http://127.0.0.1:{port}/metrics")).text)
            return found if "lianban_outbox_unsent_rows" in found else None

        found = await eventually(scraped, timeout=30, retry_on=httpx.HTTPError)
        assert found["lianban_process_parts"] == [({"part": "relay"}, 1.0)]
        assert (await http.get(f"http://127.0.0.1:{port}/other")).status_code == 404


async def test_a_metrics_port_in_use_is_logged_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    import asyncio

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stop = asyncio.Event()
        with caplog.at_level(logging.ERROR, "lianban.metrics"):
            await asyncio.wait_for(serve_port(Settings(), port, stop), timeout=5)
    assert any(f"metrics port 127.0.0.1:{port} cannot be opened" in r.getMessage()
               for r in caplog.records)  # fmt: skip
