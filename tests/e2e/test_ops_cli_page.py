"""`lianban ops` and the operator page against the running app."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date

import httpx
import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from entrypoints.cli.main import app as cli
from tests.e2e.ops_util import (
    dead_lettered,
    decide,
    decision_doc,
    events_of,
    new_case_id,
    open_task,
    submit,
    token,
)
from tests.stack import App
from tests.utils.eventually import eventually

pytestmark = pytest.mark.e2e


async def _stalled_by_dead_letter(app: App) -> str:
    cid = new_case_id()
    # Sent before the case existed, and by a department that does not review this matter:
    # re-driving it cannot help, so it stays listed. The case is submitted only once the
    # decision has been refused as `unknown_case`.
    await decide(app, decision_doc(cid, "env"))
    await eventually(lambda: dead_lettered(app, cid), timeout=60, what="the early decision refused")
    await submit(app, cid, "FIRE-DESIGN-REVIEW", ["application-form", "fire-design"])
    await eventually(lambda: open_task(app, cid, "fire"), timeout=60)
    return cid


def _cli(app: App, *args: str) -> tuple[int, str]:
    env = {"LIANBAN_TOKEN": token(app, name="值班员 周七"), "COLUMNS": "250"}
    result = CliRunner().invoke(cli, ["ops", *args, "--api", app.api_url], env=env)
    return result.exit_code, result.output


async def test_cli_lists_and_acts(app: App) -> None:
    cid = await _stalled_by_dead_letter(app)

    async def listed() -> str | None:
        code, out = await asyncio.to_thread(_cli, app, "stalled", "--reason", "dead_letter")
        return out if code == 0 and cid in out else None

    out = await eventually(listed, timeout=30, every=1.0)
    assert "unknown_case" in out
    code, out = await asyncio.to_thread(_cli, app, "redrive", cid, "-r", "案件已受理")
    assert code == 1 and "redrive_refused" in out
    code, out = await asyncio.to_thread(
        _cli, app, "bulk", "escalate", "-r", "集中督办", "--stalled", "dead_letter"
    )
    assert code == 0 and f"would: {cid}" in out
    records = [e["data"] for e in await events_of(app, cid, "OperatorActionRecorded")]
    assert [(r["action"], r["result"], r["actor"]) for r in records] == [
        ("redrive", "failed", "值班员 周七")
    ]


async def test_cli_bulk_execute_shows_counts_and_rate_on_stderr(app: App) -> None:
    cid = await _stalled_by_dead_letter(app)
    # Only dead-letter-stalled cases of this matter (this module's); each gets a supervision item.
    bulk = ["bulk", "escalate", "-r", "集中督办", "--stalled", "dead_letter"]
    bulk += ["--matter", "FIRE-DESIGN-REVIEW", "--note", "请尽快处理", "--execute", "--progress"]

    async def listed() -> str | None:
        code, out = await asyncio.to_thread(_cli, app, "stalled", "--reason", "dead_letter")
        return out if code == 0 and cid in out else None

    await eventually(listed, timeout=30, every=1.0)
    env = {"LIANBAN_TOKEN": token(app, name="值班员 周七"), "COLUMNS": "250"}
    args = ["ops", *bulk, "--api", app.api_url]
    result = await asyncio.to_thread(CliRunner().invoke, cli, args, env=env)
    assert result.exit_code == 0, result.output
    summary = re.search(r"(\d+) planned, (\d+) done\n$", result.stdout)
    assert summary and f"did: {cid}" in result.stdout, result.stdout
    assert "targets/s" not in result.stdout
    bar = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", result.stderr)
    planned = summary[1]
    assert f"{planned}/{planned}" in bar and re.search(r"\d+\.\d targets/s", bar), bar
    records = [e["data"] for e in await events_of(app, cid, "OperatorActionRecorded")]
    assert [(r["action"], r["result"]) for r in records] == [("escalate", "done")]


async def test_bulk_progress_refusal_is_a_plain_error(app: App) -> None:
    headers = {"Authorization": f"Bearer {token(app)}"}
    async with httpx.AsyncClient(base_url=app.api_url, headers=headers) as http:
        body = {"action": "nope", "reason": "x", "dry_run": False}
        response = await http.post("/ops/bulk", params={"progress": "true"}, json=body)
        assert response.status_code == 422 and "no bulk action" in response.text
        assert response.headers["content-type"].startswith("application/json")
        body = {"action": "escalate", "reason": "x", "matter": "NO-SUCH-MATTER"}
        response = await http.post("/ops/bulk", params={"progress": "true"}, json=body)
        assert response.headers["content-type"].startswith("application/x-ndjson")
        lines = [json.loads(line) for line in response.text.splitlines()]
        assert lines == [{"progress": {"done": 0, "total": 0}}, {"result": _empty_dry_run()}]


def _empty_dry_run() -> dict[str, object]:
    return {"dry_run": True, "planned": [], "done": [], "failed": []}


async def test_operator_page(app: App) -> None:
    cid = await _stalled_by_dead_letter(app)
    cookies = {"lianban_token": token(app)}
    async with httpx.AsyncClient(base_url=app.api_url, cookies=cookies) as http:
        page = await eventually(lambda: _page_with(http, cid), timeout=30)
        assert "重新投递 Re-drive" in page
    reviewer = {"lianban_token": token(app, "reviewer", dept="fire")}
    async with httpx.AsyncClient(base_url=app.api_url, cookies=reviewer) as http:
        assert (await http.get("/ops")).status_code == 403


async def _page_with(http: httpx.AsyncClient, case_id: str) -> str | None:
    response = await http.get("/ops", params={"reason": "dead_letter"})
    assert response.status_code == 200, response.text
    return response.text if case_id in response.text else None


async def test_operator_page_shows_a_missing_coming_year(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    from entrypoints.web import ops_pages

    cookies = {"lianban_token": token(app)}
    async with httpx.AsyncClient(base_url=app.api_url, cookies=cookies) as http:
        monkeypatch.setattr(ops_pages, "today", lambda: date(2026, 11, 28))
        late = (await http.get("/ops")).text
        monkeypatch.setattr(ops_pages, "today", lambda: date(2026, 6, 1))
        june = (await http.get("/ops")).text
    assert 'id="calendar-incident"' in late and "2027" in late and "lianban calendar load" in late
    assert 'id="calendar-incident"' not in june


def _narrow(app: App, *args: str) -> tuple[int, str, str]:
    env = {"LIANBAN_TOKEN": token(app, name="值班员 周七"), "COLUMNS": "80"}
    result = CliRunner().invoke(cli, [*args, "--api", app.api_url], env=env)
    return result.exit_code, result.stdout, result.stderr


async def test_the_cli_reads_at_80_columns(app: App) -> None:
    cid = await _stalled_by_dead_letter(app)

    async def listed() -> str | None:
        code, out, _ = await asyncio.to_thread(
            _narrow, app, "ops", "stalled", "--reason", "dead_letter"
        )
        return out if code == 0 and cid in out else None

    # The case number whole on a line of its own, nothing past the 80th column.
    out = await eventually(listed, timeout=30, every=1.0)
    assert any(line.strip() == cid for line in out.splitlines()), out
    assert all(cell_len(line) <= 80 for line in out.splitlines()), out
    code, out, err = await asyncio.to_thread(_narrow, app, "report", "sla")
    assert code == 0, err
    fits = all(cell_len(line) <= 80 for line in out.splitlines())
    assert "FIRE-DESIGN-REVIEW" in out and fits, out
    assert "on time" in out and "…" not in out
    # A refusal of the API: on stderr, its details as lines, exit 1.
    code, out, err = await asyncio.to_thread(
        _narrow, app, "ops", "escalate", cid, "-r", "x", "--note", "y" * 3000
    )
    assert code == 1 and out == "" and "HTTP 422" in err and "  - note:" in err, err
