"""Shared fixtures: the time-skipping Temporal environment and a per-test SQLite database."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.calendar import CalendarData
from entrypoints.devstack.postgres import postgres_database
from entrypoints.devstack.stack import EmbeddedStack, StackConfig, free_port
from infra.bootstrap import Deps, bootstrap
from infra.payload_converter import shared_pydantic_converter
from infra.settings import AuditSettings, Settings
from tests.stack import App, running_app

# The suite never reads the keys a developer's `lianban dev` generated under var/
# (infra/dev_keys.py): its settings are the same whoever runs it, wherever.
os.environ["LIANBAN_DEV_KEYS_FILE"] = ""

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
        data_converter=shared_pydantic_converter,
        test_server_existing_path=venv_bin("temporal-test-server"),
    )
    try:
        yield env
    finally:
        await env.shutdown()


@contextlib.asynccontextmanager
async def sqlite_deps_in(
    tmp_path: Path,
    *,
    temporal: Client | bool = False,
    calendar: Callable[[], CalendarData] | None = None,
    **overrides: Any,
) -> AsyncIterator[Deps]:
    """Deps on a SQLite database in `tmp_path`, built with the collaborators and settings
    given."""
    db = f"sqlite+aiosqlite:///{tmp_path / 'lianban.db'}"
    settings = Settings(database_url=db, **overrides)
    deps = await bootstrap(settings, temporal=temporal, calendar=calendar, migrate=True)
    try:
        yield deps
    finally:
        await deps.close()


@pytest.fixture
async def sqlite_deps(tmp_path: Path) -> AsyncIterator[Deps]:
    async with sqlite_deps_in(tmp_path) as deps:
        yield deps


def anchors_in(tmp_path_factory: pytest.TempPathFactory) -> AuditSettings:
    """The app's audit anchors go to a file of the test session, not the repository's var/."""
    return AuditSettings(anchor_file=str(tmp_path_factory.mktemp("anchors") / "anchors.jsonl"))


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
        stack.temporal_address,
        stack.kafka_bootstrap,
        f"sqlite+aiosqlite:///{db}",
        audit=anchors_in(tmp_path_factory),
    ) as running:
        yield running


@pytest.fixture(scope="session")
async def pg_app(
    stack: EmbeddedStack, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[App]:
    """The whole app on PostgreSQL against the real stack."""
    async with (
        postgres_database() as url,
        running_app(
            stack.temporal_address,
            stack.kafka_bootstrap,
            url,
            audit=anchors_in(tmp_path_factory),
        ) as running,
    ):
        yield running
