"""What every benchmark shares: the embedded stack on free ports, `lianban serve` processes,
and a load driver that speaks only the JSON contract of docs/contracts.md over Kafka."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import contextvars
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bench.cpu import pin
from domain.catalog import Matter, load_catalog
from entrypoints.devstack.stack import EmbeddedStack, StackConfig, ensure_topics, free_port
from events.topics import Topics
from examples.department_client import Signer
from infra.settings import Settings
from store.db import make_engine, make_sessionmaker
from store.department_keys import add_key
from store.migrate import upgrade


def event(event_type: str, case_id: str, data: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "event_type": event_type,
            "schema_version": 1,
            "case_id": case_id,
            "occurred_at": datetime.now(UTC).isoformat(),
            "producer": "bench",
            "data": data,
        }
    ).encode()


class LianbanDriver:
    """Submits cases and answers every review task with an approval, all over Kafka."""

    def __init__(self, bootstrap: str, topics: Topics, matter: str, materials: list[str]) -> None:
        self.bootstrap, self.topics, self.matter, self.materials = (
            bootstrap,
            topics,
            matter,
            materials,
        )

    async def _consumer(self, topic: str) -> AIOKafkaConsumer:
        return await consumer_at_end(self.bootstrap, topic)

    async def run(self, n: int) -> float:
        cases = {f"BENCH-{uuid.uuid4().hex[:12].upper()}" for _ in range(n)}
        tasks_c = await self._consumer(self.topics.review_tasks)
        events_c = await self._consumer(self.topics.case_events)
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all", linger_ms=5)
        await producer.start()
        try:
            t0 = time.perf_counter()
            await self._submit(producer, cases)
            decider = asyncio.create_task(self._decide(producer, tasks_c, cases))
            await self._await_issued(events_c, cases)
            elapsed = time.perf_counter() - t0
            decider.cancel()
        finally:
            await producer.stop()
            await tasks_c.stop()
            await events_c.stop()
        return elapsed

    async def open_cases(self, n: int, departments: int) -> list[tuple[str, str]]:
        """Submit `n` cases and wait until every review task is out; returns (case, dept)."""
        cases = {f"BENCH-{uuid.uuid4().hex[:12].upper()}" for _ in range(n)}
        consumer = await self._consumer(self.topics.review_tasks)
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all", linger_ms=5)
        await producer.start()
        found: list[tuple[str, str]] = []
        try:
            await self._submit(producer, cases)
            async for msg in consumer:
                doc = json.loads(msg.value)
                if doc["case_id"] in cases:
                    found.append((doc["case_id"], doc["data"]["department"]))
                    if len(found) == n * departments:
                        return found
        finally:
            await producer.stop()
            await consumer.stop()
        return found

    async def _submit(self, producer: AIOKafkaProducer, cases: Iterable[str]) -> None:
        data = {
            "matter_code": self.matter,
            "title": "bench",
            "applicant": {"kind": "enterprise", "name": "bench"},
            "materials": [{"code": c} for c in self.materials],
        }
        futures = [
            await producer.send(
                self.topics.submissions, event("ApplicationSubmitted", c, data), key=c.encode()
            )
            for c in cases
        ]
        await asyncio.gather(*futures)

    async def _decide(
        self, producer: AIOKafkaProducer, consumer: AIOKafkaConsumer, cases: set[str]
    ) -> None:
        async for msg in consumer:
            doc = json.loads(msg.value)
            if doc["case_id"] not in cases:
                continue
            decision = {
                "department": doc["data"]["department"],
                "outcome": "approve",
                "reviewer": "bench",
            }
            value = event("DecisionMade", doc["case_id"], decision)
            await producer.send(
                self.topics.decisions,
                value,
                key=doc["case_id"].encode(),
                headers=signed(value, decision["department"]),
            )

    async def _await_issued(self, consumer: AIOKafkaConsumer, cases: set[str]) -> None:
        pending = set(cases)
        async for msg in consumer:
            doc = json.loads(msg.value)
            if doc["event_type"] == "LicenceIssued":
                pending.discard(doc["case_id"])
                if not pending:
                    return


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args, env={**os.environ, **env}, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


# A process starting on a loaded 2-core machine can take a minute or more to import; one that
# dies meanwhile fails the run at once (`Bench.watch`), so a long wait costs nothing.
START_TIMEOUT = 300.0


async def wait_http(url: str, timeout: float = START_TIMEOUT) -> None:
    async with asyncio.timeout(timeout), httpx.AsyncClient() as http:
        while True:
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)


async def wait_line(log: Path, text: str, timeout: float = START_TIMEOUT) -> None:
    async with asyncio.timeout(timeout):
        while text not in await asyncio.to_thread(log.read_text, errors="replace"):
            await asyncio.sleep(0.1)


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


async def consumer_at_end(bootstrap: str, topic: str) -> AIOKafkaConsumer:
    """A consumer of `topic` from its end, assigned before it returns. The fetch wait `lianban
    serve` uses (LIANBAN_KAFKA_FETCH_WAIT_MS, read here too): the embedded broker holds a fetch
    for the whole wait even when records arrive, so a department's wait adds to its latency."""
    wait = Settings().kafka_fetch_wait_ms
    c = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="latest", fetch_max_wait_ms=wait
    )
    await c.start()
    while not c.assignment():
        await asyncio.sleep(0.05)
    await c.seek_to_end()
    return c


@dataclass
class Bench:
    """A running stack plus the app processes, with their logs under `tmp`."""

    stack: EmbeddedStack
    tmp: Path
    topics: Topics
    api_url: str
    env: dict[str, str]
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: dict[int, Path] = field(default_factory=dict)
    died: str | None = None  # which child died unasked, with its log's last lines
    serve_cpus: set[int] | None = None  # the cores `serve` pins its processes to (--pin)

    async def driver_consumer(self, topic: str) -> AIOKafkaConsumer:
        return await consumer_at_end(self.stack.kafka_bootstrap, topic)

    def driver(self, matter: Matter) -> LianbanDriver:
        """A load driver for `matter` on this stack's broker and topics."""
        materials = [m.code for m in matter.materials]
        return LianbanDriver(self.stack.kafka_bootstrap, self.topics, matter.code, materials)

    def serve(
        self,
        name: str,
        *flags: str,
        env: dict[str, str] | None = None,
        module: str = "entrypoints.cli.main",
    ) -> subprocess.Popen[bytes]:
        """Start `lianban serve` with some parts (flags like --no-worker), `env` on top;
        `module` runs the CLI another way (`bench.traced`: under tracemalloc)."""
        cmd = [sys.executable, "-m", module, "serve", *flags]
        proc = spawn(cmd, {**self.env, **(env or {})}, self.tmp / f"{name}.log")
        if self.serve_cpus:
            pin(proc.pid, self.serve_cpus)  # before Python starts its threads: they inherit it
        self.procs.append(proc)
        self.logs[proc.pid] = self.tmp / f"{name}.log"
        return proc

    async def watch(self, main: asyncio.Task[object]) -> None:
        """A child that dies fails the benchmark at once, with its log; nothing waits for it."""
        while self.died is None:
            for proc in self.procs:
                if proc.poll() is not None and proc.pid in self.logs:
                    lines = self.logs[proc.pid].read_text(errors="replace").splitlines()[-40:]
                    self.died = f"{self.logs[proc.pid].name} exited with {proc.returncode}:\n"
                    self.died += "\n".join(lines)
                    main.cancel()
                    return
            await asyncio.sleep(0.5)


class ChildDied(RuntimeError):
    """A process the benchmark started exited while it ran."""


# The departments' signing keys for this run (decisions on Kafka must be signed).
SIGNERS = {
    dept: Signer(f"bench-{dept}", Ed25519PrivateKey.generate())
    for dept in load_catalog().departments
}


def signed(value: bytes, department: str) -> list[tuple[str, bytes]]:
    """A decision's signature headers, as the department's system sends them."""
    return SIGNERS[department].headers(value)


# Alembic's migration context is global to the process: benchmarks run side by side in one
# process (tests/bench/test_smoke.py) migrate their databases one at a time.
_MIGRATING = asyncio.Lock()


async def _migrate(url: str) -> None:
    engine = make_engine(url)
    try:
        async with _MIGRATING:
            await upgrade(engine)
        async with make_sessionmaker(engine)() as s, s.begin():
            for dept, signer in SIGNERS.items():
                public = signer.private_key.public_key().public_bytes(
                    Encoding.Raw, PublicFormat.Raw
                )
                await add_key(s, signer.key_id, dept, base64.b64encode(public).decode(), "bench")
    finally:
        await engine.dispose()


# A running stack the benchmarks use instead of starting their own (`shared_stack`).
_SHARED: contextvars.ContextVar[EmbeddedStack | None] = contextvars.ContextVar(
    "bench_shared_stack", default=None
)


@contextlib.contextmanager
def shared_stack(stack: EmbeddedStack) -> Iterator[None]:
    """Benchmarks run meanwhile use `stack` (the test suite's) and leave it running. Each run
    then has topics, a task queue and a consumer group of its own, so neither it nor whatever
    else uses the stack takes the other's records or workflow tasks."""
    token = _SHARED.set(stack)
    try:
        yield
    finally:
        _SHARED.reset(token)


@contextlib.asynccontextmanager
async def _stack(tmp: Path) -> AsyncIterator[tuple[EmbeddedStack, str]]:
    """The shared stack with a fresh tag, or a new embedded stack with the tag "bench"."""
    shared = _SHARED.get()
    if shared is not None:
        yield shared, f"bench{uuid.uuid4().hex[:8]}"
        return
    config = StackConfig(
        var_dir=tmp, temporal_port=free_port(), temporal_ui_port=None, kafka_port=free_port()
    )
    async with EmbeddedStack(config) as stack:
        yield stack, "bench"


@contextlib.asynccontextmanager
async def bench_stack(database_url: str | None = None) -> AsyncIterator[Bench]:
    tmp = Path(tempfile.mkdtemp(prefix="lianban-bench-"))
    async with _stack(tmp) as (stack, tag):
        topics = Topics.with_prefix(tag)
        await ensure_topics(stack.kafka_bootstrap, topics.all())
        api_port = free_port()
        url = database_url or f"sqlite+aiosqlite:///{tmp / 'lianban.db'}"
        await _migrate(url)  # once, before the processes (they only check the revision)
        env = {
            "LIANBAN_DATABASE_URL": url,
            "LIANBAN_TEMPORAL_ADDRESS": stack.temporal_address,
            "LIANBAN_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
            "LIANBAN_TOPIC_PREFIX": tag,
            "LIANBAN_TASK_QUEUE": f"{tag}-cases",
            "LIANBAN_CONSUMER_GROUP": f"{tag}-orchestrator",
            "LIANBAN_API_PORT": str(api_port),
            # A benchmark on a developer's machine; tokens are minted with the same key.
            "LIANBAN_ALLOW_DEV_KEY": "true",
            # Processes without the API would open the parts' default metrics ports: several
            # such processes (bench.workers) or another stack on the machine would clash.
            "LIANBAN_WORKER_METRICS_PORT": "0",
            "LIANBAN_CONSUMERS_METRICS_PORT": "0",
            "LIANBAN_RELAY_METRICS_PORT": "0",
        }
        bench = Bench(stack, tmp, topics, f"http://127.0.0.1:{api_port}", env)
        main = asyncio.current_task()
        assert main is not None
        watcher = asyncio.create_task(bench.watch(main))
        try:
            yield bench
        except asyncio.CancelledError:
            if bench.died is None:
                raise
            main.uncancel()
            raise ChildDied(bench.died) from None
        finally:
            watcher.cancel()
            bench.logs.clear()  # stopping them now is not dying
            for proc in bench.procs:
                stop(proc)
    # The logs and the SQLite database stay for a look only when the run failed: the test suite
    # runs every benchmark (tests/bench/test_smoke.py), each run would leave a folder behind.
    shutil.rmtree(tmp, ignore_errors=True)
