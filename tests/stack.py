"""Fixtures' building blocks: the real stack and the app running against it in-process."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from entrypoints.devstack.stack import free_port
from entrypoints.runner import Parts, Running, serve
from infra.bootstrap import Deps, bootstrap
from infra.settings import AuditSettings, Settings
from tests.utils.eventually import eventually
from tests.utils.signing import key_id_of, public_key_b64


@dataclass
class App:
    deps: Deps
    running: Running
    settings: Settings

    @property
    def api_url(self) -> str:
        return f"http://{self.settings.api_host}:{self.settings.api_port}"


async def _wait_assigned(running: Running, parts: Parts, timeout: float = 60.0) -> None:
    # A consumer group join takes seconds: wait for the assignment, never a fixed sleep.
    async with asyncio.timeout(timeout):
        for consumer in running.consumers:
            await consumer.assigned.wait()

    async def api_started() -> bool:
        return running.api_server is not None and running.api_server.started

    if parts.api:
        await eventually(api_started, timeout=timeout, what="the API serving")


async def register_test_keys(deps: Deps) -> None:
    """Every department's test key (tests.utils.signing), as `lianban keys add` would."""
    from services.operators.department_keys import keys, register

    have = {k["key_id"] for k in await keys(deps)}
    for dept in deps.catalog.departments:
        if key_id_of(dept) not in have:
            await register(deps, dept, key_id_of(dept), public_key_b64(dept), "tests")


@contextlib.asynccontextmanager
async def running_app(
    temporal_address: str,
    kafka_bootstrap: str,
    database_url: str,
    parts: Parts | None = None,
    *,
    audit: AuditSettings | None = None,
    **overrides: Any,
) -> AsyncIterator[App]:
    """Worker, consumers, relay and API in this event loop, on their own topics and queue;
    `overrides`: other settings than the defaults (e.g. the metrics' refresh period,
    `ack_again_seconds=2.0`)."""
    from entrypoints.devstack.stack import ensure_topics

    tag = uuid.uuid4().hex[:8]
    defaults: dict[str, Any] = {
        "database_url": database_url,
        "temporal_address": temporal_address,
        "kafka_bootstrap": kafka_bootstrap,
        "topic_prefix": f"t{tag}",
        "task_queue": f"cases-{tag}",
        "consumer_group": f"g{tag}",
        "api_port": free_port(),
        # As in production: workflow histories hold only ciphertext.
        "payload_keys": {"test": base64.b64encode(b"k" * 32).decode()},
        "payload_kid": "test",
        "token_sign_in": True,  # the page tests sign in with tokens; test_sign_in.py not
        "secure_cookies": False,  # plain HTTP on 127.0.0.1, as `lianban dev` serves it
        "temporal_ui_url": "http://127.0.0.1:8233",  # the case page links each workflow there
        # The embedded broker answers a new member's JoinGroup after half the session timeout
        # (5 s at the default 10 s): 2 s here, as the fault cluster runs, for every app a test
        # starts and every consumer it restarts.
        "kafka_session_timeout_ms": 3000,
    }
    settings = Settings(**(defaults | overrides))
    await ensure_topics(kafka_bootstrap, settings.topics.all())
    deps = await bootstrap(settings, audit=audit, migrate=True)
    await register_test_keys(deps)
    stop = asyncio.Event()
    running = Running()
    parts = parts or Parts()
    task = asyncio.create_task(serve(deps, stop, parts, running))
    try:
        await _wait_assigned(running, parts)
        yield App(deps, running, settings)
    finally:
        stop.set()
        await task
        await deps.close()
