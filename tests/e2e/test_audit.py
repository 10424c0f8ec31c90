"""Auditors against the real stack (Temporal dev server, broker, SQLite and PostgreSQL): a case
submitted and decided over HTTP is replayed, verified (read model and Temporal), exported; its
dossier re-checks on its own; the anchor reaches the topic and the file; the CLI works on the
server."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from services.auditors.anchors import read_anchor_file, take_anchor
from services.auditors.settings import anchor_topic, audit_settings
from tests.conftest import venv_bin
from tests.stack import App
from tests.utils.auth import bearer
from tests.utils.eventually import eventually

MATERIALS = ["application-form", "business-licence", "premises-lease", "floor-plan"]
SUBMISSION = {
    "matter_code": "RESTAURANT-OPENING",
    "title": "老街面馆 Old street noodles",
    "applicant": {
        "kind": "citizen",
        "name": "张伟",
        "id_number": "110101199003077774",
        "phone": "13800138000",
    },
    "materials": [{"code": c} for c in MATERIALS],
}
DEPTS = ["samr", "fire", "env", "health"]


@pytest.fixture(params=["sqlite", "postgresql"])
async def audited(request: pytest.FixtureRequest, app: App, pg_app: App) -> AsyncIterator[App]:
    # Both apps are built with an anchor file of their own, outside the repo (tests/conftest).
    yield app if request.param == "sqlite" else pg_app


def http(app: App, role: str, dept: str | None = None) -> httpx.AsyncClient:
    headers = bearer(role, dept, settings=app.settings, name=f"{dept or role}-王工")
    return httpx.AsyncClient(base_url=app.api_url, headers=headers, timeout=20)


async def concluded_case(app: App) -> str:
    """Submitted at the window, decided by each department (fire with a condition)."""
    async with http(app, "clerk") as clerk:
        r = await clerk.post("/cases", json=SUBMISSION)
        assert r.status_code == 202, r.text
        case_id: str = r.json()["case_id"]

        async def case() -> Any:
            return (await clerk.get(f"/cases/{case_id}")).json()

        await eventually(case, until=lambda c: len(c["tasks"]) >= len(DEPTS), what="the tasks")
        for dept in DEPTS:
            body: dict[str, Any] = {"outcome": "approve"}
            if dept == "fire":
                body = {"outcome": "approve_with_conditions", "conditions": ["开业前复查"]}
            async with http(app, "reviewer", dept) as reviewer:
                r = await reviewer.post(f"/tasks/{case_id}.{dept}/decision", json=body)
                assert r.status_code == 202, r.text
        await eventually(case, until=lambda c: c["status"] == "issued", what="the licence")
    return case_id


def rehash(entries: list[dict[str, Any]]) -> list[str]:
    """Recompute every hash from the dossier alone, as an outside auditor would."""
    fields = ("seq", "case_id", "event_id", "event_type", "occurred_at", "actor", "role")
    prev, out = "0" * 64, []
    for e in entries:
        doc = {k: e[k] for k in (*fields, "action", "data")}
        doc["occurred_at"] = datetime.fromisoformat(e["occurred_at"]).isoformat(
            timespec="microseconds"
        )
        text = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert e["prev_hash"] == prev
        prev = hashlib.sha256((prev + text).encode()).hexdigest()
        out.append(prev)
    return out


async def test_auditor_replays_verifies_and_exports(audited: App) -> None:
    case_id = await concluded_case(audited)
    async with http(audited, "auditor") as auditor:
        now = (await auditor.get(f"/audit/cases/{case_id}")).json()
        assert now["state"]["status"] == "issued" and now["state"]["outcome"] == "granted"
        assert now["state"]["tasks"]["fire"]["conditions"] == ["开业前复查"]
        assert now["state"]["tasks"]["fire"]["reviewer"] == "fire-王工"
        who = {(line["actor"], line["role"]) for line in now["timeline"]}
        assert ("lianban-orchestrator", "system") in who
        assert ("fire-王工", "department_reviewer") in who
        first = min(
            line["occurred_at"]
            for line in now["timeline"]
            if line["event_type"] == "DepartmentDecided"
        )
        before = datetime.fromisoformat(first) - timedelta(microseconds=1)
        then = await auditor.get(f"/audit/cases/{case_id}", params={"at": before.isoformat()})
        assert then.json()["state"]["status"] == "in_review"
        assert then.json()["state"]["decided"] == []
        report = (await auditor.get(f"/audit/cases/{case_id}/verify")).json()
        assert report["ok"], report["findings"]
        assert [f for f in report["findings"] if f["check"] == "temporal"] == []
        dossier = await auditor.get(f"/audit/cases/{case_id}/dossier.json")
        page = await auditor.get(f"/audit/cases/{case_id}/dossier.html")
    doc = dossier.json()
    assert rehash(doc["entries"]) == [e["hash"] for e in doc["entries"]]
    for text in (dossier.text, page.text):  # personal data never leaves masked-less
        assert "110101199003077774" not in text and "13800138000" not in text
    assert case_id in page.text and "Steps against their limits" in page.text
    assert "src=" not in page.text and "<link" not in page.text  # nothing from outside
    embedded = page.text.split('id="lianban-dossier">', 1)[1].split("</script>", 1)[0]
    assert json.loads(embedded)["entries"] == doc["entries"]


async def test_only_auditors_get_the_record(audited: App) -> None:
    case_id = await concluded_case(audited)
    async with http(audited, "clerk") as clerk:
        assert (await clerk.get(f"/audit/cases/{case_id}")).status_code == 403
        assert (await clerk.get(f"/auditor/cases/{case_id}")).status_code == 403
    async with http(audited, "auditor") as auditor:
        page = await auditor.get(f"/auditor/cases/{case_id}", params={"check": "1"})
        assert page.status_code == 200 and "✔" in page.text and "fire-王工" in page.text
        assert (await auditor.get("/audit/cases/LB-NOPE")).status_code == 404


async def test_an_anchor_reaches_the_topic_and_the_file(audited: App) -> None:
    await concluded_case(audited)
    anchor = await take_anchor(audited.deps)
    consumer = AIOKafkaConsumer(
        anchor_topic(audited.deps),
        bootstrap_servers=audited.settings.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    try:
        async with asyncio.timeout(30):
            async for record in consumer:
                doc = json.loads(record.value)
                if doc["data"]["hash"] == anchor.hash:
                    break
    finally:
        await consumer.stop()
    assert doc["event_type"] == "AuditAnchored" and record.key == b"lianban-audit"
    kept = read_anchor_file(Path(audit_settings(audited.deps).anchor_file))
    assert kept is not None and kept[anchor.seq] == anchor.document()


async def lianban(app: App, *args: str, apart: bool = False) -> tuple[int, str]:
    """Run the CLI as an auditor on the server would: configured by environment variables.
    Its stdout and stderr together, or with `apart` stdout only (stderr after a NUL)."""
    env = {
        **os.environ,
        "LIANBAN_DATABASE_URL": app.settings.database_url,
        "LIANBAN_TEMPORAL_ADDRESS": app.settings.temporal_address,
        "LIANBAN_TOPIC_PREFIX": app.settings.topic_prefix,
        "LIANBAN_AUDIT_ANCHOR_FILE": audit_settings(app.deps).anchor_file,
        # The server's payload keys: the cross-check reads the workflows' histories.
        "LIANBAN_PAYLOAD_KEYS": json.dumps(app.settings.payload_keys),
        "LIANBAN_PAYLOAD_KID": app.settings.payload_kid or "",
        "COLUMNS": "200",
    }
    proc = await asyncio.create_subprocess_exec(
        venv_bin("lianban"),
        "audit",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE if apart else asyncio.subprocess.STDOUT,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    text = out.decode() + (f"\0{err.decode()}" if apart else "")
    return proc.returncode or 0, text


async def test_the_cli_on_the_server(audited: App, tmp_path: Path) -> None:
    case_id = await concluded_case(audited)
    code, out = await lianban(audited, "verify", case_id)
    assert code == 0 and "OK: 1 case(s)" in out, out
    code, out = await lianban(audited, "replay", case_id)
    assert code == 0 and "LicenceIssued" not in out and "licence XK-" in out, out
    html = tmp_path / "dossier.html"
    code, out = await lianban(audited, "export", case_id, "--format", "html", "-o", str(html))
    assert code == 0 and html.exists(), out
    rebuilt = f"sqlite+aiosqlite:///{tmp_path / 'rebuilt.db'}"
    code, out = await lianban(audited, "rebuild", "--into", rebuilt, "--case", case_id)
    assert code == 0 and "equals the live one" in out, out
    code, out = await lianban(audited, "verify", "LB-NO-SUCH-CASE", apart=True)
    stdout, stderr = out.split("\0")
    assert code == 2 and "no case 'LB-NO-SUCH-CASE'" in stderr and not stdout
    code, out = await lianban(audited, "replay", case_id)
    assert "matter RESTAURANT-OPENING 开办餐馆" in out, out
