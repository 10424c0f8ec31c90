"""The fault suite's cluster: its own Temporal dev server and broker, a PostgreSQL database, and
Lianban's parts (worker, consumers, relay, API) as separate OS processes that a scenario kills
with real signals and starts again."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

from entrypoints.devstack.postgres import PG_ADMIN_DSN, postgres_database
from entrypoints.devstack.stack import EmbeddedStack, StackConfig, ensure_topics, free_port
from events.topics import Topics
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings
from tests.stack import register_test_keys
from tests.utils.eventually import eventually

ROOT = Path(__file__).parents[2]
PARTS = ("worker", "consumers", "relay", "api")


class ProcessDied(AssertionError):
    """A part the scenario did not kill has exited: its log says why."""


@dataclass
class Part:
    name: str
    proc: subprocess.Popen[bytes]
    log: Path

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


@dataclass
class FaultCluster:
    stack: EmbeddedStack
    database_url: str
    tmp: Path
    settings: Settings
    deps: Deps  # the test's own view of the database (an auditor's), never a part's
    parts: dict[str, Part] = field(default_factory=dict)
    starts: int = 0

    @property
    def topics(self) -> Topics:
        return self.settings.topics

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.api_port}"

    def env(self, failpoints: str | None, api_port: int | None = None) -> dict[str, str]:
        s = self.settings
        env = dict(os.environ) | {
            "LIANBAN_DATABASE_URL": s.database_url,
            "LIANBAN_TEMPORAL_ADDRESS": s.temporal_address,
            "LIANBAN_KAFKA_BOOTSTRAP": s.kafka_bootstrap,
            "LIANBAN_TOPIC_PREFIX": s.topic_prefix,
            "LIANBAN_TASK_QUEUE": s.task_queue,
            "LIANBAN_CONSUMER_GROUP": s.consumer_group,
            "LIANBAN_API_PORT": str(api_port or s.api_port),
            "LIANBAN_RELAY_MAX_ATTEMPTS": "5",
            # Decisions left undelivered are signalled again within seconds, not minutes, and
            # reported as such soon after (tests/faults/test_frozen_temporal.py).
            "LIANBAN_DECISION_REDELIVER_AFTER_SECONDS": str(s.decision_redeliver_after_seconds),
            "LIANBAN_DECISION_SWEEP_SECONDS": str(s.decision_sweep_seconds),
            "LIANBAN_DECISION_UNDELIVERED_ALARM_SECONDS": str(s.decision_undelivered_alarm_seconds),
            # A consumer killed -9 leaves its group after 3 s instead of 10: the scenarios
            # wait for the group to hand its partitions on, not for a default.
            "LIANBAN_KAFKA_SESSION_TIMEOUT_MS": "3000",
            "LIANBAN_JWT_SECRET": s.jwt_secret,
            "LIANBAN_JWT_KID": s.jwt_kid,
            "LIANBAN_PAYLOAD_KEYS": json.dumps(s.payload_keys),
            "LIANBAN_PAYLOAD_KID": s.payload_kid or "",
            # Each part its own metrics port (another instance, another suite on the machine).
            "LIANBAN_WORKER_METRICS_PORT": str(free_port()),
            "LIANBAN_CONSUMERS_METRICS_PORT": str(free_port()),
            "LIANBAN_RELAY_METRICS_PORT": str(free_port()),
        }
        env.pop("LIANBAN_FAILPOINTS", None)
        if failpoints:
            env["LIANBAN_FAILPOINTS"] = failpoints
        return env

    def start(self, name: str, failpoints: str | None = None, api_port: int | None = None) -> Part:
        """Start one part as `lianban serve` with only that part on. `name` is the part, or
        `part#n` for another instance of it (an API instance on its own `api_port`)."""
        kind = name.split("#", 1)[0]
        flags = [f"--no-{p}" for p in PARTS if p != kind]
        self.starts += 1
        log = self.tmp / f"{name.replace('#', '.')}.{self.starts}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "entrypoints.cli.main", "serve", *flags],
                cwd=ROOT,
                env=self.env(failpoints, api_port),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        self.parts[name] = Part(name, proc, log)
        return self.parts[name]

    def kill(self, name: str, sig: signal.Signals = signal.SIGKILL) -> None:
        part = self.parts.pop(name)  # killed on purpose: no longer expected alive
        with contextlib.suppress(ProcessLookupError):
            part.proc.send_signal(sig)
        part.proc.wait(timeout=30)

    async def died(self, name: str, timeout: float = 60) -> int:
        """Wait for a part armed with a failpoint to kill itself; its exit status."""
        proc = self.parts[name].proc

        async def exited() -> int | None:
            return proc.poll()

        await eventually(exited, until=lambda rc: rc is not None, timeout=timeout)
        return int(proc.returncode)

    def assert_alive(self, but: str | None = None) -> None:
        for part in self.parts.values():
            if part.name != but and part.proc.poll() is not None:
                raise ProcessDied(
                    f"{part.name} exited with {part.proc.returncode}; last lines of "
                    f"{part.log}:\n{part.tail()}"
                )

    async def api_ready(self, timeout: float = 60, url: str | None = None) -> None:
        """Until the API process answers (it has just been started)."""
        async with httpx.AsyncClient(base_url=url or self.api_url, timeout=2) as http:

            async def answers() -> bool:
                self.assert_alive()
                return (await http.get("/healthz")).status_code == 200

            await eventually(answers, timeout=timeout, every=0.1, retry_on=httpx.HTTPError)

    async def terminate_db_connections(self) -> int:
        """`pg_terminate_backend` every connection of the parts to the database."""
        name = self.database_url.rsplit("/", 1)[-1]
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        try:
            rows = await admin.fetch(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                name,
            )
        finally:
            await admin.close()
        return len(rows)

    async def stop(self) -> None:
        for part in self.parts.values():
            if part.proc.poll() is None:
                part.proc.send_signal(signal.SIGTERM)
        for part in self.parts.values():
            try:
                await asyncio.to_thread(part.proc.wait, 20)
            except subprocess.TimeoutExpired:
                part.proc.kill()
                part.proc.wait()


@contextlib.asynccontextmanager
async def fault_cluster(tmp: Path) -> AsyncIterator[FaultCluster]:
    """Everything up: servers, schema, topics, and the four parts."""
    config = StackConfig(
        var_dir=tmp / "stack",
        temporal_port=free_port(),
        temporal_ui_port=None,
        kafka_port=free_port(),
    )
    tag = uuid.uuid4().hex[:8]
    async with EmbeddedStack(config) as stack, postgres_database() as url:
        settings = Settings(
            database_url=url,
            temporal_address=stack.temporal_address,
            kafka_bootstrap=stack.kafka_bootstrap,
            topic_prefix=f"f{tag}",
            task_queue=f"faults-{tag}",
            consumer_group=f"faults-{tag}",
            api_port=free_port(),
            jwt_secret=secrets.token_urlsafe(48),  # as in production: never the published key
            jwt_kid="faults",
            payload_keys={"faults": base64.b64encode(secrets.token_bytes(32)).decode()},
            payload_kid="faults",
            decision_redeliver_after_seconds=2.0,
            decision_sweep_seconds=0.5,
            decision_undelivered_alarm_seconds=3.0,
        )
        await ensure_topics(stack.kafka_bootstrap, settings.topics.all())
        # The schema is made once, before any part starts (the parts only use it).
        deps = await bootstrap(settings, migrate=True)
        await register_test_keys(deps)  # the department systems' keys, before any part starts
        cluster = FaultCluster(stack, url, tmp, settings, deps)
        try:
            for name in PARTS:
                cluster.start(name)
            yield cluster
        finally:
            await cluster.stop()
            await deps.close()
