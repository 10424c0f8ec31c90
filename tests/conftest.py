"""Shared fixtures: the time-skipping Temporal environment and a per-test SQLite database."""

from __future__ import annotations

import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from services.bootstrap import Deps, bootstrap
from services.settings import Settings


def venv_bin(name: str) -> str:
    """A binary installed into the venv, found even when the venv is not on PATH."""
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        raise RuntimeError(f"{name} not installed: run `make install`")
    return found


@pytest.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping test server for the session (a 45-day timer returns in ms)."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=venv_bin("temporal-test-server"),
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
async def sqlite_deps(tmp_path: Path) -> AsyncIterator[Deps]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'lianban.db'}")
    deps = await bootstrap(settings, temporal=False)
    try:
        yield deps
    finally:
        await deps.close()
