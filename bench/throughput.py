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
import os
import platform
import sys
import time
import uuid

from temporalio.client import Client

from bench.bare import BareCaseWorkflow
from bench.harness import LianbanDriver, bench_stack, spawn, wait_http, wait_line
from domain.catalog import load_catalog


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


async def main(n: int, matter_code: str) -> None:
    matter = load_catalog().matter(matter_code)
    assert matter is not None, f"unknown matter {matter_code}"
    departments = [d.code for d in matter.departments]
    async with bench_stack() as bench:
        bare_log = bench.tmp / "bare.log"
        bench.procs.append(
            spawn(
                [sys.executable, "-m", "bench.bare", "--address", bench.stack.temporal_address],
                {},
                bare_log,
            )
        )
        bench.serve("app")
        await wait_line(bare_log, "bare worker ready")
        await wait_http(f"{bench.api_url}/healthz")
        driver = LianbanDriver(
            bench.stack.kafka_bootstrap,
            bench.topics,
            matter_code,
            [m.code for m in matter.materials],
        )
        await driver.run(2)  # warm-up: consumer group joins, first workflow tasks
        await run_bare(bench.stack.temporal_address, "bare", 2, departments)
        bare_s = await run_bare(bench.stack.temporal_address, "bare", n, departments)
        lianban_s = await driver.run(n)
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
