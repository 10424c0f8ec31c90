"""Shared fixtures: the time-skipping Temporal environment and a per-test SQLite database."""

from __future__ import annotations

import logging
import shutil
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from entrypoints.devstack.postgres import postgres_database
from entrypoints.devstack.stack import EmbeddedStack, StackConfig, free_port
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings
from tests.stack import App, running_app

# Workers evict cached workflows at shutdown inside open spans; OpenTelemetry then logs a
# harmless "Failed to detach context" per span (infra.tracing silences it the same way).
logging.getLogger("opentelemetry.context").setLevel(logging.CRITICAL)


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
    deps = await bootstrap(settings, temporal=False, migrate=True)
    try:
        yield deps
    finally:
        await deps.close()


@pytest.fixture(scope="session")
async def stack(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[EmbeddedStack]:
    """The real Temporal dev server and Kafka-API broker, on free ports, for the session."""
    config = StackConfig(
        var_dir=tmp_path_factory.mktemp("stack"),
        temporal_port=free_port(),
        temporal_ui_port=None,
        kafka_port=free_port(),
        temporal_db=None,
    )
    async with EmbeddedStack(config) as running:
        yield running


@pytest.fixture(scope="session")
async def app(stack: EmbeddedStack, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[App]:
    """The whole app on SQLite against the real stack."""
    db = tmp_path_factory.mktemp("db") / "lianban.db"
    async with running_app(
        stack.temporal_address, stack.kafka_bootstrap, f"sqlite+aiosqlite:///{db}"
    ) as running:
        yield running


@pytest.fixture(scope="session")
async def pg_app(stack: EmbeddedStack) -> AsyncIterator[App]:
    """The whole app on PostgreSQL against the real stack."""
    async with (
        postgres_database() as url,
        running_app(stack.temporal_address, stack.kafka_bootstrap, url) as running,
    ):
        yield running
