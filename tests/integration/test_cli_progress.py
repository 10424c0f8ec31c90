"""`lianban audit verify --all` and `audit rebuild` draw a progress bar on stderr with
`--progress`: counts and a rate; stdout (the JSON too) is the same as without it."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from entrypoints.cli.main import app as cli
from infra.bootstrap import bootstrap
from infra.settings import Settings, get_audit_settings, get_settings
from store.cases import insert_submission, submission_row
from store.records import log_case_event
from tests.utils.factories import submission

CASES = 10
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
async def audited_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Path]:
    """A database with ten submitted cases (their audit chains and read model), configured
    for the CLI through the environment."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'audit.db'}"
    monkeypatch.setenv("LIANBAN_DATABASE_URL", url)
    monkeypatch.setenv("LIANBAN_AUDIT_ANCHOR_FILE", str(tmp_path / "anchors.jsonl"))
    get_settings.cache_clear()
    get_audit_settings.cache_clear()
    deps = await bootstrap(Settings(database_url=url), temporal=False, migrate=True)
    try:
        for _ in range(CASES):
            env, sub = submission(deps.catalog, "RESTAURANT-OPENING")
            async with deps.sessions() as s, s.begin():
                await insert_submission(s, submission_row(env, sub, "123456"))
                await log_case_event(s, env)
    finally:
        await deps.close()
    yield tmp_path
    get_settings.cache_clear()
    get_audit_settings.cache_clear()


async def _invoke(*args: str) -> Result:
    def invoke() -> Result:
        return CliRunner().invoke(cli, list(args), env={"COLUMNS": "120"})

    return await asyncio.to_thread(invoke)  # the CLI runs its own event loop: off this one


def _bar(stderr: str) -> str:
    return ANSI.sub("", stderr)


async def test_verify_all_shows_counts_and_rate_and_keeps_the_json(audited_db: Path) -> None:
    plain = await _invoke("audit", "verify", "--all", "--json", "--no-progress")
    shown = await _invoke("audit", "verify", "--all", "--json", "--progress")
    assert plain.exit_code == shown.exit_code == 0, shown.output
    assert plain.stderr == ""
    bar = _bar(shown.stderr)
    assert f"{CASES}/{CASES}" in bar and re.search(r"\d+\.\d cases/s", bar), bar
    doc: dict[str, Any] = json.loads(shown.stdout)
    assert doc["cases"] == CASES
    # The same JSON byte for byte, but for when the digest was recomputed.
    assert _without_times(shown.stdout) == _without_times(plain.stdout)


def _without_times(text: str) -> str:
    return re.sub(r'"\d{4}-\d\d-\d\dT[^"]*"', '"<time>"', text)


async def test_rebuild_shows_counts_and_rate_and_keeps_its_report(audited_db: Path) -> None:
    first = f"sqlite+aiosqlite:///{audited_db / 'rebuilt-1.db'}"
    second = f"sqlite+aiosqlite:///{audited_db / 'rebuilt-2.db'}"
    plain = await _invoke("audit", "rebuild", "--into", first, "--no-progress")
    shown = await _invoke("audit", "rebuild", "--into", second, "--progress")
    assert plain.exit_code == shown.exit_code == 0, shown.output
    assert plain.stderr == ""
    bar = _bar(shown.stderr)
    assert f"{CASES}/{CASES}" in bar and re.search(r"\d+\.\d cases/s", bar), bar
    assert shown.stdout == plain.stdout
    assert f"rebuilt {CASES} cases" in shown.stdout and "cases/s" not in shown.stdout


async def test_no_bar_by_default_when_stderr_is_not_a_terminal(audited_db: Path) -> None:
    result = await _invoke("audit", "verify", "--all")
    assert result.exit_code == 0 and result.stderr == ""
