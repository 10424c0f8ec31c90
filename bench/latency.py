"""Decision latency: from a decision produced on Kafka to its acknowledgement.

    .venv/bin/python -m bench.latency [--cases 100] [--rate R] [--via ack|http]
                                      [--postgres | --split]

Measures the maximum rate first (a throughput run of 100 cases) unless --rate is given, then
produces decisions at half that rate, one per open task, and waits for what the department
waits for: `--via ack` (default) its `DepartmentDecided` on case-events (docs/contracts.md: a
department re-sends until it sees it), read by one consumer in this process; `--via http` polls
`GET /cases/{id}` every 10 ms until the task reads "decided" — which loads the API being
measured (hundreds of requests per second once decisions queue) and so measures its own load
above a few decisions per second. `--postgres`: Lianban on a PostgreSQL database of its own
(production's database) instead of SQLite; `--split`: on PostgreSQL, one `lianban serve` per
part (worker, consumers, relay, API), as docs/production.md deploys it. Prints p50/p95/p99 in
milliseconds, and with `--via ack` the same until Lianban produced the acknowledgement
(without the department's own consumer).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import time

import httpx
from aiokafka import AIOKafkaProducer

from bench.harness import Bench, bench_stack, event, signed, wait_http
from bench.throughput import start_lianban
from domain.catalog import load_catalog
from entrypoints.devstack.postgres import postgres_database
from infra.settings import Settings
from infra.tokens import mint


async def _one(
    http: httpx.AsyncClient, producer: AIOKafkaProducer, topic: str, case_id: str, dept: str
) -> float:
    body = {"department": dept, "outcome": "approve", "reviewer": "bench"}
    t0 = time.perf_counter()
    value = event("DecisionMade", case_id, body)
    await producer.send_and_wait(topic, value, key=case_id.encode(), headers=signed(value, dept))
    while True:
        case = (await http.get(f"/cases/{case_id}")).json()
        task = next(t for t in case["tasks"] if t["department"] == dept)
        if task["status"] == "decided":
            return (time.perf_counter() - t0) * 1000
        await asyncio.sleep(0.01)  # 10 ms resolution; faster polling loads the API it measures


async def drive_ack(
    bench: Bench, tasks: list[tuple[str, str]], rate: float
) -> tuple[list[float], list[float]]:
    """Decide each task at `rate` per second. Returns, in ms, each decision's latency until its
    `DepartmentDecided` is read here, and until Lianban produced it (the record's timestamp,
    set by the relay's producer on this machine's clock): the difference is the department's
    own consumer, which on the embedded broker waits up to its fetch wait for a record."""
    acks = await bench.driver_consumer(bench.topics.case_events)
    producer = AIOKafkaProducer(bootstrap_servers=bench.stack.kafka_bootstrap, acks="all")
    await producer.start()
    sent: dict[tuple[str, str], float] = {}
    sent_wall: dict[tuple[str, str], float] = {}
    got: dict[tuple[str, str], float] = {}
    produced: dict[tuple[str, str], float] = {}

    async def read() -> None:
        async for msg in acks:
            doc = json.loads(msg.value)
            if doc.get("event_type") == "DepartmentDecided":
                key = (doc["case_id"], doc["data"]["department"])
                if key in sent and key not in got:
                    got[key] = time.perf_counter()
                    produced[key] = msg.timestamp / 1000

    reader = asyncio.create_task(read())
    try:
        start = time.perf_counter()
        for i, (case_id, dept) in enumerate(tasks):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            body = {"department": dept, "outcome": "approve", "reviewer": "bench"}
            value = event("DecisionMade", case_id, body)
            sent[(case_id, dept)] = time.perf_counter()
            sent_wall[(case_id, dept)] = time.time()
            await producer.send(
                bench.topics.decisions, value, key=case_id.encode(), headers=signed(value, dept)
            )
        while len(got) < len(tasks):
            await asyncio.sleep(0.05)  # a wait for the reader, bounded by the benchmark's run
    finally:
        reader.cancel()
        await producer.stop()
        await acks.stop()
    until_read = [(got[k] - sent[k]) * 1000 for k in sent]
    return until_read, [(produced[k] - sent_wall[k]) * 1000 for k in sent]


async def drive(
    api_url: str, bootstrap: str, topic: str, tasks: list[tuple[str, str]], rate: float
) -> list[float]:
    """Decide each task at `rate` per second; returns latencies in ms."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    # Idle connections dropped before the API's keep-alive timeout (uvicorn: 5 s) closes them:
    # otherwise a poll can race the server's close and fail with a ReadError (seen here).
    limits = httpx.Limits(max_connections=200, keepalive_expiry=2.0)
    # An operator may read every case; the token is signed with the app's (default) key.
    headers = {"Authorization": f"Bearer {mint(Settings(), 'operator')}"}
    try:
        async with httpx.AsyncClient(
            base_url=api_url, timeout=30, limits=limits, headers=headers
        ) as http:
            running = []
            start = time.perf_counter()
            for i, (case_id, dept) in enumerate(tasks):
                delay = start + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                running.append(asyncio.create_task(_one(http, producer, topic, case_id, dept)))
            return list(await asyncio.gather(*running))
    finally:
        await producer.stop()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main(
    cases: int, rate: float | None, matter_code: str, via: str, postgres: bool, split: bool
) -> None:
    if postgres or split:  # processes of their own share one database: PostgreSQL
        async with postgres_database() as url:
            await measure(cases, rate, matter_code, via, url, split)
    else:
        await measure(cases, rate, matter_code, via, None, split)


async def measure(
    cases: int,
    rate: float | None,
    matter_code: str,
    via: str,
    database_url: str | None,
    split: bool,
) -> None:
    matter = load_catalog().matter(matter_code)
    assert matter is not None
    depts = len(matter.departments)
    async with bench_stack(database_url) as bench:
        start_lianban(bench, split)
        await wait_http(f"{bench.api_url}/healthz")
        driver = bench.driver(matter)
        await driver.run(2)
        if rate is None:
            max_cases = 100 / await driver.run(100)
            rate = max_cases * depts / 2
            print(f"measured max: {max_cases:.1f} cases/s = {max_cases * depts:.1f} decisions/s")
        tasks = await driver.open_cases(cases, depts)
        in_lianban: list[float] = []
        if via == "ack":
            latencies, in_lianban = await drive_ack(bench, tasks, rate)
        else:
            latencies = await drive(
                bench.api_url, bench.stack.kafka_bootstrap, bench.topics.decisions, tasks, rate
            )
    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    db = "PostgreSQL" if database_url else "SQLite"
    db += ", a process per part" if split else ", one process"
    print(f"decisions: {len(latencies)} at {rate:.1f}/s ({matter_code}, {db}), until: {via}")
    print(json.dumps(summary(latencies)))
    if in_lianban:
        print(f"until Lianban produced the acknowledgement: {json.dumps(summary(in_lianban))}")


def summary(latencies: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(pct(latencies, 50), 1),
        "p95_ms": round(pct(latencies, 95), 1),
        "p99_ms": round(pct(latencies, 99), 1),
        "mean_ms": round(statistics.fmean(latencies), 1),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--rate", type=float, default=None, help="decisions per second")
    parser.add_argument("--matter", default="IND-CONSTRUCTION")
    parser.add_argument("--via", choices=["ack", "http"], default="ack")
    parser.add_argument("--postgres", action="store_true", help="Lianban on PostgreSQL")
    parser.add_argument("--split", action="store_true", help="one process per part, on PostgreSQL")
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.rate, args.matter, args.via, args.postgres, args.split))
