"""Throughput: Lianban over Kafka vs a bare Temporal workflow of the same shape, same server.

    .venv/bin/python -m bench.throughput [--cases 200] [--matter RESTAURANT-OPENING]

Starts its own embedded stack (Temporal dev server with a WAL SQLite file, tansu) on free ports,
runs `lianban serve` as a separate process (SQLite read model, outbox relay, consumers, worker,
API), drives it with a load driver that speaks only the JSON contract over Kafka, then runs the
bare workflow with its own worker process, and prints cases/s for both and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from temporalio.client import Client

from bench.bare import BareCaseWorkflow
from deploy.stack import EmbeddedStack, StackConfig, ensure_topics, free_port
from domain.catalog import load_catalog
from events.topics import Topics


def _event(event_type: str, case_id: str, data: dict[str, Any]) -> bytes:
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
        c = AIOKafkaConsumer(topic, bootstrap_servers=self.bootstrap, auto_offset_reset="latest")
        await c.start()
        while not c.assignment():
            await asyncio.sleep(0.05)
        await c.seek_to_end()
        return c

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

    async def _submit(self, producer: AIOKafkaProducer, cases: Iterable[str]) -> None:
        data = {
            "matter_code": self.matter,
            "title": "bench",
            "applicant": {"kind": "enterprise", "name": "bench"},
            "materials": [{"code": c} for c in self.materials],
        }
        futures = [
            await producer.send(
                self.topics.submissions, _event("ApplicationSubmitted", c, data), key=c.encode()
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
            await producer.send(
                self.topics.decisions,
                _event("DecisionMade", doc["case_id"], decision),
                key=doc["case_id"].encode(),
            )

    async def _await_issued(self, consumer: AIOKafkaConsumer, cases: set[str]) -> None:
        pending = set(cases)
        async for msg in consumer:
            doc = json.loads(msg.value)
            if doc["event_type"] == "LicenceIssued":
                pending.discard(doc["case_id"])
                if not pending:
                    return


async def run_bare(address: str, task_queue: str, n: int, departments: list[str]) -> float:
    client = await Client.connect(address)
    t0 = time.perf_counter()

    async def one(i: int) -> None:
        handle = await client.start_workflow(
            BareCaseWorkflow.run, departments, id=f"bare-{uuid.uuid4()}", task_queue=task_queue
        )
        for d in departments:
            await handle.signal(BareCaseWorkflow.decide, d)
        await handle.result()

    await asyncio.gather(*(one(i) for i in range(n)))
    return time.perf_counter() - t0


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        args, env={**os.environ, **env}, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )


async def _wait_http(url: str, timeout: float = 60) -> None:
    async with asyncio.timeout(timeout), httpx.AsyncClient() as http:
        while True:
            try:
                if (await http.get(url)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)


async def _wait_line(log: Path, text: str, timeout: float = 60) -> None:
    async with asyncio.timeout(timeout):
        while text not in await asyncio.to_thread(log.read_text, errors="replace"):
            await asyncio.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


async def main(n: int, matter_code: str) -> None:
    matter = load_catalog().matter(matter_code)
    assert matter is not None, f"unknown matter {matter_code}"
    departments = [d.code for d in matter.departments]
    tmp = Path(tempfile.mkdtemp(prefix="lianban-bench-"))
    config = StackConfig(
        var_dir=tmp, temporal_port=free_port(), temporal_ui_port=None, kafka_port=free_port()
    )
    async with EmbeddedStack(config) as stack:
        topics = Topics.with_prefix("bench")
        await ensure_topics(stack.kafka_bootstrap, topics.all())
        api_port = free_port()
        env = {
            "LIANBAN_DATABASE_URL": f"sqlite+aiosqlite:///{tmp / 'lianban.db'}",
            "LIANBAN_TEMPORAL_ADDRESS": stack.temporal_address,
            "LIANBAN_KAFKA_BOOTSTRAP": stack.kafka_bootstrap,
            "LIANBAN_TOPIC_PREFIX": "bench",
            "LIANBAN_API_PORT": str(api_port),
        }
        bare_log = tmp / "bare.log"
        bare = _spawn(
            [sys.executable, "-m", "bench.bare", "--address", stack.temporal_address],
            {},
            bare_log,
        )
        app = _spawn([sys.executable, "-m", "services.cli.main", "serve"], env, tmp / "app.log")
        try:
            await _wait_line(bare_log, "bare worker ready")
            await _wait_http(f"http://127.0.0.1:{api_port}/healthz")
            driver = LianbanDriver(
                stack.kafka_bootstrap, topics, matter_code, [m.code for m in matter.materials]
            )
            await driver.run(2)  # warm-up: consumer group joins, first workflow tasks
            await run_bare(stack.temporal_address, "bare", 2, departments)
            bare_s = await run_bare(stack.temporal_address, "bare", n, departments)
            lianban_s = await driver.run(n)
        finally:
            _stop(app)
            _stop(bare)
    bare_rate, lianban_rate = n / bare_s, n / lianban_s
    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"cases: {n} x {matter_code} ({len(departments)} departments)")
    print(f"bare Temporal : {bare_rate:7.1f} cases/s ({bare_s:.1f} s)")
    print(f"Lianban       : {lianban_rate:7.1f} cases/s ({lianban_s:.1f} s)")
    print(f"ratio         : {lianban_rate / bare_rate:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--matter", default="RESTAURANT-OPENING")
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.matter))
