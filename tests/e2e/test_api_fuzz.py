"""Schemathesis over the app's own OpenAPI spec, once per role's token, against the running app.

Every answer must be a documented status code with a body of the declared schema (the 4xx
bodies included: `{"error", "detail"}`, 422s listing fields), never a server error. Bounded
examples and schemathesis's deterministic generation (the same cases every run) keep it
repeatable and short enough for CI on two cores. The six callers' runs go side by side: one at a
time, the app and the one `st` process each kept about half a core busy and the module took a
quarter of the serial pass.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.test_api import SUBMISSION, submitted_case
from tests.stack import App
from tests.utils.auth import token

pytestmark = pytest.mark.e2e

CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
    ]
)
# Per operation and phase; ~50 operations × 6 callers: the whole module in about 2 minutes.
MAX_EXAMPLES = int(os.environ.get("LIANBAN_FUZZ_EXAMPLES", "3"))
# One caller of each kind the routes tell apart (the authorization matrix covers every role ×
# object; here the point is the shape of every answer): nobody, the public, the window, a
# department, the center's operators and its auditors.
ROLES: dict[str, tuple[str, str | None]] = {
    # label: (role, department)
    "anonymous": ("", None),
    "applicant": ("applicant", None),
    "clerk": ("clerk", None),
    "reviewer": ("reviewer", "fire"),
    "operator": ("operator", None),
    "auditor": ("auditor", None),
}
# The health routes answer the state of the stack (503 while Temporal is slow), not the input.
NOT_FUZZED = "^/(healthz|readyz)$"


def _st() -> str:
    return str(Path(sys.executable).parent / "st")


async def fuzz(app: App, label: str, tmp: Path, *extra: str) -> tuple[int, str]:
    """Run `st run` over the app's spec as `label`: its exit code and output."""
    role, dept = ROLES[label]
    headers: list[str] = []
    if role:
        bearer = token(role, dept, settings=app.settings, sub=f"fuzz-{label}")
        headers = ["-H", f"Authorization: Bearer {bearer}"]
    proc = await asyncio.create_subprocess_exec(
        _st(),
        "run",
        f"{app.api_url}/openapi.json",
        "--checks",
        CHECKS,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-deterministic",
        "--no-shrink",
        "--phases",
        "examples,coverage,fuzzing",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
        "--exclude-path-regex",
        NOT_FUZZED,
        *headers,
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=tmp,
    )
    try:
        out, _ = await proc.communicate()
    finally:
        if proc.returncode is None:  # cancelled: the module's runs are being torn down
            proc.kill()
            await proc.wait()
    return proc.returncode or 0, out.decode(errors="replace")


# The answers a role's gate gives whatever the input: an operation that answered nothing else in
# a role's first run is closed to that role, and its coverage cases would all meet the gate.
GATE = {401, 403}


def _answers(report: Path) -> dict[str, set[int]]:
    """Each operation's status codes in a run's ndjson report ("POST /cases": {202, 422})."""
    seen: dict[str, set[int]] = {}
    for line in report.read_text(encoding="utf-8").splitlines():
        event = json.loads(line).get("ScenarioFinished")
        if not event:
            continue
        recorder = event["recorder"]
        codes = seen.setdefault(recorder["label"], set())
        for interaction in recorder.get("interactions", {}).values():
            if interaction.get("response"):
                codes.add(interaction["response"]["status_code"])
    return seen


def _open_to_role(answers: dict[str, set[int]]) -> list[str]:
    """The operations where the role got past its gate at least once (or got no answer yet)."""
    return sorted(label for label, codes in answers.items() if not codes or codes - GATE)


async def fuzz_role(app: App, label: str, tmp: Path) -> tuple[int, str]:
    """Examples and fuzzing on every operation, then the coverage phase (its ~2,500 boundary
    cases are the same for every caller) only where the first run shows the caller gets past
    its gate: elsewhere every one of them meets the same 401 or 403, whatever the input. A
    method a path does not take (405, before any role is looked at) is
    `test_a_method_a_path_does_not_take_is_405_naming_the_problem`'s, for every path."""
    report = tmp / "first.ndjson"
    first = await fuzz(
        app, label, tmp, "--phases", "examples,fuzzing", "--report", "ndjson",
        "--report-ndjson-path", str(report),
    )  # fmt: skip
    if first[0]:
        return first
    names = "|".join(re.escape(name) for name in _open_to_role(_answers(report)))
    if not names:
        return first
    (tmp / "schemathesis.toml").write_text(
        "[phases.coverage]\nunexpected-methods = []\n", encoding="utf-8"
    )
    code, out = await fuzz(
        app, label, tmp, "--phases", "coverage", "--include-name-regex", f"^({names})$"
    )
    return code, first[1] + out


@pytest.fixture(scope="module")
async def role_runs(
    app: App, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[dict[str, asyncio.Task[tuple[int, str]]]]:
    """Every caller's run, started together; each test below awaits its own."""
    runs = {
        label: asyncio.create_task(fuzz_role(app, label, tmp_path_factory.mktemp(f"fuzz-{label}")))
        for label in ROLES
    }
    try:
        yield runs
    finally:
        for run in runs.values():
            run.cancel()
        await asyncio.gather(*runs.values(), return_exceptions=True)


@pytest.mark.parametrize("label", list(ROLES))
async def test_the_spec_holds_for_every_role(
    role_runs: dict[str, asyncio.Task[tuple[int, str]]], label: str
) -> None:
    code, out = await role_runs[label]
    # Exit code 0: no server error, every status code and content type documented, every body
    # (the 4xx ones too) of its declared schema.
    assert code == 0, out[max(out.find("FAILURES"), 0) :][:20000]
    assert "Schema Error" not in out, out[-20000:]


# Every method schemathesis's coverage phase tries on a path (HEAD comes with GET).
METHODS = ("get", "put", "post", "delete", "options", "patch", "trace", "query")


def _matches(template: str, path: str) -> bool:
    """Whether the route `template` ("/cases/{case_id}") would take the concrete `path`."""
    pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
    return re.fullmatch(pattern, path) is not None


def _undeclared(spec: dict[str, Any]) -> list[tuple[str, str, set[str]]]:
    """(method, concrete path, methods declared there) for each method no route takes there:
    a path parameter is a made-up value, so the methods of every template it matches count."""
    paths = {t: {m for m in ops if m in METHODS} for t, ops in spec["paths"].items()}
    found = []
    for template in paths:
        if re.search(NOT_FUZZED, template):
            continue
        path = re.sub(r"\{[^}]+\}", "zz-1", template)
        declared = set().union(*(m for t, m in paths.items() if _matches(t, path)))
        found += [(method, path, declared) for method in METHODS if method not in declared]
    return found


async def test_a_method_a_path_does_not_take_is_405_naming_the_problem(app: App) -> None:
    """For every path of the spec and every method it does not take: 405 with the error body
    every refusal has, before any token is asked for, and `Allow` naming methods the path does
    take. (The fuzzing runs leave this to here: it is the same for every caller.)"""
    async with httpx.AsyncClient(base_url=app.api_url, timeout=30) as http:
        spec = (await http.get("/openapi.json")).json()
        cases = _undeclared(spec)
        assert len(cases) > 100, cases  # every path of ~70 operations, several methods each
        for method, path, declared in cases:
            r = await http.request(method.upper(), path)
            assert r.status_code == 405, (method, path, r.status_code, r.text)
            assert r.json() == {"error": "method_not_allowed", "detail": "Method Not Allowed"}
            allowed = {m.strip().lower() for m in r.headers["allow"].split(",")}
            assert allowed and allowed <= declared | {"head"}, (method, path, allowed, declared)


async def test_an_operator_on_a_real_case_gets_no_server_error(app: App, tmp_path: Path) -> None:
    """Issue 21, items 15 and 21: with an operator token on a case that exists (a made-up
    number stops at 404 before any id is used), unbounded ids gave `500 OverflowError` (outbox
    retry and discard, re-drive) and a reset to a negative or made-up event id `503`. Every path
    parameter is the real case's here, so the bodies' ids reach the database and Temporal."""
    async with httpx.AsyncClient(base_url=app.api_url, timeout=30) as http:
        case_id = await submitted_case(http)
    (tmp_path / "schemathesis.toml").write_text(
        f'[parameters]\ncase_id = "{case_id}"\ntask_id = "{case_id}.fire"\n'
        'notice_ref = "N-1"\ncode = "fire"\n',
        encoding="utf-8",
    )
    code, out = await fuzz(
        app, "operator", tmp_path, "--include-path-regex", "^/ops/", "--max-examples", "30"
    )
    assert code == 0, out[max(out.find("FAILURES"), 0) :][:20000]
    assert "Schema Error" not in out, out[-20000:]


async def test_text_with_a_nul_is_refused_naming_the_field_on_postgresql(pg_app: App) -> None:
    # PostgreSQL stores no NUL in text or jsonb: the write failed with a 500 before.
    headers = {"Authorization": f"Bearer {token('clerk', settings=pg_app.settings)}"}
    async with httpx.AsyncClient(base_url=pg_app.api_url, headers=headers, timeout=30) as http:
        r = await http.post("/cases", json=SUBMISSION | {"title": "标题\x00 title"})
        assert r.status_code == 422, r.text
        assert r.json()["error"] == "invalid_request"
        assert [p["field"] for p in r.json()["detail"]] == ["body.title"]
        ok = await http.post("/cases", json=SUBMISSION | {"title": "标题\ttab is fine"})
        assert ok.status_code == 202, ok.text
        applicant = {"kind": "citizen", "name": "张\x00伟"}
        nested = SUBMISSION | {"applicant": applicant}
        r = await http.post("/cases", json=nested)
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == "body.applicant.name"
    # The role is still checked before anything in the body is looked at.
    public = {"Authorization": f"Bearer {token('applicant', settings=pg_app.settings)}"}
    async with httpx.AsyncClient(base_url=pg_app.api_url, headers=public, timeout=30) as http:
        r = await http.post(
            f"/ops/cases/{ok.json()['case_id']}/terminate",
            json={"status": "withdrawn", "reason": "\x00"},
        )
        assert r.status_code == 403, r.text


async def test_an_overlong_traceparent_is_not_stored_as_sent(pg_app: App) -> None:
    # A future-version traceparent may carry more after the flags; the column holds 64.
    long = "01-" + "a" * 32 + "-" + "b" * 16 + "-01-" + "c" * 200
    headers = {
        "Authorization": f"Bearer {token('clerk', settings=pg_app.settings)}",
        "traceparent": long,
    }
    async with httpx.AsyncClient(base_url=pg_app.api_url, headers=headers, timeout=30) as http:
        r = await http.post("/cases", json=SUBMISSION)
    assert r.status_code == 202, r.text
