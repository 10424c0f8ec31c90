"""Alerts that reach someone, with the real parts: Debian's Prometheus scrapes a running Lianban
and evaluates the shipped rules (their `for:` shortened), Debian's Alertmanager routes what
fires to Lianban's webhook, and the alert shows on /ops. A statutory breach and a parked
outgoing event are forced; each fires in Prometheus, reaches Alertmanager and appears on /ops;
the parked one resolves all the way back once an operator discards the event."""

from __future__ import annotations

import contextlib
import re
import secrets
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from markupsafe import escape
from playwright.async_api import Browser, expect

from activities.clocks import ClockActivities
from entrypoints.devstack.stack import EmbeddedStack, free_port
from tests.conftest import anchors_in
from tests.e2e.ops_util import client, new_case_id, open_task, submit
from tests.e2e.pages_util import VIEWPORT, serious_violations, shot, too_wide
from tests.e2e.test_outbox_parked import FIRE, _enqueue
from tests.stack import App, running_app
from tests.utils.auth import token
from tests.utils.eventually import eventually
from workflows.models import ClockView, WarningInput

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).parents[2]
PROMETHEUS, ALERTMANAGER = "/usr/bin/prometheus", "/usr/bin/prometheus-alertmanager"
TOKEN = secrets.token_urlsafe(24)
FIRE_AND_DONE = 90  # seconds: scrape 1 s, evaluation 1 s, gauges 0.5 s, Alertmanager 1 s


@dataclass
class Monitoring:
    prometheus: str
    alertmanager: str


def rules_for_tests(dest: Path) -> Path:
    """The shipped rules with every `for:` at 1 s (what the test can wait for)."""
    text = (ROOT / "deploy" / "prometheus" / "alerts.yaml").read_text()
    path = dest / "alerts.yaml"
    path.write_text(re.sub(r"(?m)^(\s+)for: \S+$", r"\1for: 1s", text))
    return path


def _write(path: Path, doc: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


@contextlib.contextmanager
def servers(tmp: Path, api_port: int) -> Iterator[Monitoring]:
    """Prometheus and Alertmanager on free ports, their data in `tmp` (no system daemon, no
    default port, no Alertmanager cluster port)."""
    if not (shutil.which(PROMETHEUS) and shutil.which(ALERTMANAGER)):
        pytest.fail("Debian's prometheus and prometheus-alertmanager are missing: run `make e2e`")
    prom_port, am_port = free_port(), free_port()
    am_config = _write(
        tmp / "alertmanager.yaml",
        {
            "route": {
                "receiver": "lianban",
                "group_by": ["alertname", "matter"],
                "group_wait": "0s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            },
            "receivers": [
                {
                    "name": "lianban",
                    "webhook_configs": [
                        {
                            "url": f"http://127.0.0.1:{api_port}/alerts/webhook",
                            "send_resolved": True,
                            "max_alerts": 100,
                            "http_config": {
                                "authorization": {"type": "Bearer", "credentials": TOKEN}
                            },
                        }
                    ],
                }
            ],
        },
    )
    rules_for_tests(tmp)
    prom_config = _write(
        tmp / "prometheus.yaml",
        {
            "global": {
                "scrape_interval": "1s",
                "evaluation_interval": "1s",
                "external_labels": {"docs_url": "https://docs.test"},
            },
            "rule_files": ["alerts.yaml"],
            "alerting": {
                "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{am_port}"]}]}]
            },
            "scrape_configs": [
                {
                    "job_name": "lianban",
                    "static_configs": [{"targets": [f"127.0.0.1:{api_port}"]}],
                }
            ],
        },
    )
    started = [
        _spawn(
            [
                ALERTMANAGER,
                f"--config.file={am_config}",
                f"--storage.path={tmp / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{am_port}",
                "--cluster.listen-address=",
            ],
            tmp / "alertmanager.log",
        ),
        _spawn(
            [
                PROMETHEUS,
                f"--config.file={prom_config}",
                f"--storage.tsdb.path={tmp / 'prom-data'}",
                f"--web.listen-address=127.0.0.1:{prom_port}",
                "--rules.alert.resend-delay=1s",
            ],
            tmp / "prometheus.log",
        ),
    ]
    try:
        yield Monitoring(f"http://127.0.0.1:{prom_port}", f"http://127.0.0.1:{am_port}")
    finally:
        for proc in started:
            proc.terminate()
        for proc in started:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )


@pytest.fixture(scope="module")
async def watched(
    stack: EmbeddedStack, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[App, Monitoring]]:
    """A Lianban of its own (its figures are not the session's) under Prometheus."""
    db = tmp_path_factory.mktemp("alerting-db") / "lianban.db"
    async with running_app(
        stack.temporal_address,
        stack.kafka_bootstrap,
        f"sqlite+aiosqlite:///{db}",
        audit=anchors_in(tmp_path_factory),
        metrics_refresh_seconds=0.5,
        alert_webhook_token=TOKEN,
    ) as app:
        with servers(tmp_path_factory.mktemp("monitoring"), app.settings.api_port) as mon:
            yield app, mon


async def _breach(app: App) -> str:
    """A running case whose statutory limit the worker reported breached (as the clock's
    timer would, weeks from now)."""
    cid = new_case_id()
    await submit(app, cid, *FIRE)
    await eventually(lambda: open_task(app, cid, "fire"), timeout=60, what="the fire task")
    d = app.deps
    now = datetime.now(UTC)
    await ClockActivities(d.sessions, d.catalog, d.topics, d.calendar).record_warning(
        WarningInput(
            case_id=cid,
            level="breach",
            due_at=now - timedelta(hours=1),
            fired_at=now,
            clocks=ClockView(statutory_due=date.today(), promised_due=date.today()),
        )
    )
    return cid


async def _firing_in_prometheus(mon: Monitoring, name: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=5) as http:
        found = (await http.get(f"{mon.prometheus}/api/v1/alerts")).json()["data"]["alerts"]
    return [a for a in found if a["labels"]["alertname"] == name and a["state"] == "firing"]


async def _in_alertmanager(mon: Monitoring, name: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=5) as http:
        found = (await http.get(f"{mon.alertmanager}/api/v2/alerts")).json()
    return [a for a in found if a["labels"]["alertname"] == name]


async def _on_ops(app: App, name: str) -> str | None:
    async with client(app) as http:
        page = (await http.get("/ops")).text
    return page if f'data-alert="{name}"' in page else None


async def _listed(app: App, name: str) -> list[dict[str, Any]]:
    async with client(app) as http:
        return [a for a in (await http.get("/alerts")).json()["data"] if a["name"] == name]


async def test_a_breach_and_a_parked_event_fire_reach_alertmanager_and_show_on_ops(
    watched: tuple[App, Monitoring],
) -> None:
    app, mon = watched
    await _breach(app)
    held = new_case_id()
    await submit(app, held, *FIRE)
    await eventually(lambda: open_task(app, held, "fire"), timeout=60, what="the fire task")
    big = await _enqueue(app, held, "x" * 1_500_000)  # over the broker's limit: parked at once

    for name in ("LianbanStatutoryBreach", "LianbanOutboxRowParked"):
        fired = await eventually(
            lambda n=name: _firing_in_prometheus(mon, n),  # type: ignore[misc]
            timeout=FIRE_AND_DONE,
            what=f"{name} firing in Prometheus",
        )
        await eventually(
            lambda n=name: _in_alertmanager(mon, n),  # type: ignore[misc]
            timeout=FIRE_AND_DONE,
            what=f"{name} in Alertmanager",
        )
        page = await eventually(
            lambda n=name: _on_ops(app, n),  # type: ignore[misc]
            timeout=FIRE_AND_DONE,
            what=f"{name} on /ops",
        )
        (shown,) = await _listed(app, name)
        assert shown["severity"] == "critical" and shown["source"] == "prometheus"
        assert shown["runbook_url"].startswith("https://docs.test/alerts/#")
        assert str(escape(shown["summary"])) in page  # as Jinja escapes it
    assert fired[0]["labels"]["severity"] == "critical"
    (breach,) = await _listed(app, "LianbanStatutoryBreach")
    assert breach["matter_code"] == FIRE[0] and FIRE[0] in breach["summary"]

    # An operator discards the parked event: the alert resolves all the way back to /ops.
    async with client(app) as http:
        r = await http.post(
            f"/ops/cases/{held}/outbox/{big}/discard", json={"reason": "超过消息大小上限"}
        )
        assert r.status_code == 200, r.text

    async def gone() -> bool:
        return not await _listed(app, "LianbanOutboxRowParked")

    await eventually(gone, timeout=FIRE_AND_DONE, what="the parked alert resolved in Lianban")
    assert await _listed(app, "LianbanStatutoryBreach")  # still breached: still firing


async def test_the_webhook_refuses_a_caller_without_its_token(
    watched: tuple[App, Monitoring],
) -> None:
    app, _ = watched
    body = {"version": "4", "status": "firing", "alerts": []}
    async with httpx.AsyncClient(base_url=app.api_url, timeout=10) as http:
        none = await http.post("/alerts/webhook", json=body)
        wrong = await http.post(
            "/alerts/webhook", json=body, headers={"Authorization": "Bearer nope"}
        )
        bad = await http.post(
            "/alerts/webhook",
            json={"version": "4", "status": "firing", "alerts": [{"status": "odd"}]},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        ok = await http.post(
            "/alerts/webhook", json=body, headers={"Authorization": f"Bearer {TOKEN}"}
        )
    assert none.status_code == wrong.status_code == 401
    assert none.headers["www-authenticate"].startswith("Bearer")
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_request"
    assert ok.status_code == 200 and ok.json() == {"firing": 0, "resolved": 0}


def notification(name: str, severity: str, summary: str, **labels: str) -> dict[str, Any]:
    """An Alertmanager webhook notification of one firing alert."""
    now = datetime.now(UTC).isoformat()
    alert = {
        "status": "firing",
        "labels": {"alertname": name, "severity": severity, **labels},
        "annotations": {
            "summary": summary,
            "runbook_url": "https://docs.test/alerts/#dead-letters",
        },
        "startsAt": now,
        "endsAt": "0001-01-01T00:00:00Z",
        "fingerprint": secrets.token_hex(8),
    }
    return {"version": "4", "status": "firing", "alerts": [alert]}


async def test_alerts_and_kpi_thresholds_in_chromium(
    watched: tuple[App, Monitoring], chromium: Browser
) -> None:
    """/ops and the dashboard with alerts showing, at 1280×800: they fit and pass axe-core;
    a leader sets a KPI threshold from the dashboard's form."""
    app, _ = watched
    long = "消防审查意见签名校验失败 " * 6 + "signature check failed on every decision"
    async with httpx.AsyncClient(base_url=app.api_url, timeout=10) as http:
        r = await http.post(
            "/alerts/webhook",
            json=notification("LianbanDeadLetters", "warning", long, topic="t.decisions"),
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert r.status_code == 200, r.text
    ctx = await chromium.new_context(viewport=VIEWPORT, locale="zh-CN")  # type: ignore[arg-type]
    try:
        for role, path in (("operator", "/ops"), ("leader", "/dashboard")):
            value = token(role, settings=app.settings, sub=f"{role}-alerts")
            await ctx.add_cookies([{"name": "lianban_token", "value": value, "url": app.api_url}])
            page = await ctx.new_page()
            await page.goto(f"{app.api_url}{path}")
            row = page.locator('#alerts tr[data-alert="LianbanDeadLetters"]')
            await expect(row).to_contain_text("signature check failed")
            await shot(page, f"alerts-{role}")
            assert not await serious_violations(page), await serious_violations(page)
            if role == "operator":  # the dashboard's own tables are wider (another branch)
                assert not await too_wide(page), await too_wide(page)
        await page.select_option("#kpi-matter", FIRE[0])
        await page.select_option("#kpi-name", "on_time_rate")
        await page.fill("#kpi-threshold", "97.5")
        await page.get_by_role("button", name="设置 Set").click()
        await expect(page.locator("#kpi-thresholds")).to_contain_text("97.5 %")
        await shot(page, "alerts-kpi-set")
    finally:
        await ctx.close()
    async with client(app, "leader") as http:
        (set_,) = [t for t in (await http.get("/alerts/kpi")).json()["data"]
                   if t["matter_code"] == FIRE[0]]  # fmt: skip
    assert set_["threshold"] == 0.975 and set_["kpi"] == "on_time_rate"
