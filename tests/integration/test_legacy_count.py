"""`lianban ops legacy` counts the first shape's cases on the real Temporal dev server (its
visibility) and in the read model: running, closed but kept, open rows; exit 1 until none."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from entrypoints.cli.main import app as cli
from entrypoints.devstack.stack import EmbeddedStack
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings, get_settings
from store.cases import insert_submission, submission_row
from store.schema import cases
from tests.utils.eventually import eventually
from tests.utils.factories import submission, workflow_input
from workflows.legacy import LEGACY_CASE_TYPE


@pytest.fixture
async def deps(
    stack: EmbeddedStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Deps]:
    """A fresh database and the session's Temporal server, for the CLI too (environment)."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'legacy.db'}"
    monkeypatch.setenv("LIANBAN_DATABASE_URL", url)
    monkeypatch.setenv("LIANBAN_TEMPORAL_ADDRESS", stack.temporal_address)
    get_settings.cache_clear()
    settings = Settings(database_url=url, temporal_address=stack.temporal_address)
    built = await bootstrap(settings, migrate=True)
    yield built
    await built.close()
    get_settings.cache_clear()


async def _legacy() -> tuple[int, dict[str, Any]]:
    def invoke() -> tuple[int, dict[str, Any]]:
        result = CliRunner().invoke(cli, ["ops", "legacy", "--json"], env={"COLUMNS": "200"})
        return result.exit_code, json.loads(result.stdout)

    return await asyncio.to_thread(invoke)  # the CLI runs its own event loop


def _first_shape(doc: dict[str, Any]) -> tuple[int, int]:
    count = next(c for c in doc["counts"] if c["workflow_type"] == LEGACY_CASE_TYPE)
    return count["running"], count["closed_kept"]


async def test_the_command_counts_running_and_kept_cases_of_the_first_shape(deps: Deps) -> None:
    _, before = await _legacy()
    running, kept = _first_shape(before)
    env, sub = submission(deps.catalog, "RESTAURANT-OPENING")
    async with deps.sessions() as s, s.begin():
        await insert_submission(s, submission_row(env, sub, "123456"))
        # A row from before `cases.workflow_type`: the first shape.
        await s.execute(
            sa.update(cases).where(cases.c.case_id == env.case_id).values(workflow_type=None)
        )
    assert deps.temporal is not None
    # No worker polls this queue: the case stays running, as an old one waiting for decisions.
    handle = await deps.temporal.start_workflow(
        LEGACY_CASE_TYPE,
        workflow_input(env, sub),
        id=env.case_id,
        task_queue=f"legacy-{uuid.uuid4()}",
    )

    async def counted(expected: tuple[int, int]) -> dict[str, Any] | None:
        code, doc = await _legacy()
        return doc if code == 1 and _first_shape(doc) == expected else None

    doc = await eventually(lambda: counted((running + 1, kept)), timeout=30, every=0.5)
    assert doc["open_cases"] == 1 and doc["retirable"] is False
    await handle.terminate("test: the case ended")
    async with deps.sessions() as s, s.begin():
        await s.execute(
            sa.update(cases).where(cases.c.case_id == env.case_id).values(status="withdrawn")
        )
    doc = await eventually(lambda: counted((running, kept + 1)), timeout=30, every=0.5)
    # Closed but kept by Temporal (its retention has not passed): not retirable yet.
    assert doc["open_cases"] == 0 and doc["retirable"] is False
