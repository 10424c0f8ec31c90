"""Throughput: Lianban over Kafka vs a bare Temporal workflow of the same shape, same server.

    .venv/bin/python -m bench.throughput [--cases 500] [--matter IND-CONSTRUCTION]

Starts its own embedded stack (Temporal dev server with a WAL SQLite file, tansu) on free ports,
runs `lianban serve` as a separate process (SQLite read model, outbox relay, consumers, worker,
API), drives it with a load driver that speaks only the JSON contract over Kafka, then runs the
bare workflow with its own worker process, and prints cases/s for both and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from temporalio.client import Client

from bench.bare import BareCaseWorkflow
from bench.cpu import CpuMeter, format_usage
from bench.harness import bench_stack, spawn, wait_http, wait_line
from domain.catalog import load_catalog
from entrypoints.devstack.postgres import postgres_database


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


@contextlib.contextmanager
def profiled(pid: int, out: Path | None) -> Iterator[None]:
    """py-spy samples the process meanwhile (collapsed stacks, for `bench.flame`)."""
    if out is None:
        yield
        return
    spy = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("py-spy")),
            "record",
            "--pid",
            str(pid),
            "--rate",
            os.environ.get("PYSPY_RATE", "50"),
            *os.environ.get("PYSPY_EXTRA", "").split(),
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)


async def metrics_cost(n: int, matter_code: str, rounds: int) -> None:
    """Lianban with metrics on and off, alternating, on one stack (bench/metrics_cost.py)."""
    from bench.metrics_cost import compare

    matter = load_catalog().matter(matter_code)
    assert matter is not None, f"unknown matter {matter_code}"
    async with bench_stack(None) as bench:
        await compare(bench, matter, n, rounds)
    print(f"machine: {platform.node()} {os.cpu_count()} cores, load {os.getloadavg()}")
    print(f"cases: {n} x {matter_code} per round")


async def main(
    n: int, matter_code: str, only: str | None, profile: Path | None, postgres: bool
) -> None:
    if postgres:
        async with postgres_database() as url:
            await _main(n, matter_code, only, profile, url)
    else:
        await _main(n, matter_code, only, profile, None)


async def _main(
    n: int, matter_code: str, only: str | None, profile: Path | None, database_url: str | None
) -> None:
    matter = load_catalog().matter(matter_code)
    assert matter is not None, f"unknown matter {matter_code}"
    departments = [d.code for d in matter.departments]
    rates: dict[str, float] = {}
    async with bench_stack(database_url) as bench:
        bare_log = bench.tmp / "bare.log"
        bare = spawn(
            [sys.executable, "-m", "bench.bare", "--address", bench.stack.temporal_address],
            {},
            bare_log,
        )
        bench.procs.append(bare)
        serve = bench.serve("app")
        await wait_line(bare_log, "bare worker ready")
        await wait_http(f"{bench.api_url}/healthz")
        driver = bench.driver(matter)
        await driver.run(2)  # warm-up: consumer group joins, first workflow tasks
        await run_bare(bench.stack.temporal_address, "bare", 2, departments)
        assert bench.stack.temporal and bench.stack.temporal.proc
        assert bench.stack.broker and bench.stack.broker.proc
        servers = {
            "temporal": bench.stack.temporal.proc.pid,
            "tansu": bench.stack.broker.proc.pid,
            "driver": os.getpid(),
        }
        if only != "lianban":
            meter = CpuMeter({**servers, "bare worker": bare.pid})
            bare_s = await run_bare(bench.stack.temporal_address, "bare", n, departments)
            rates["bare"] = n / bare_s
            print(format_usage(meter.used(), bare_s, n))
        if only != "bare":
            # On PostgreSQL the server's work for Lianban counts too (the bare shape has none).
            db = {"postgres": "postgres"} if database_url else {}
            meter = CpuMeter({**servers, "lianban": serve.pid}, db)
            with profiled(serve.pid, profile):
                lianban_s = await driver.run(n)
            rates["lianban"] = n / lianban_s
            print(format_usage(meter.used(), lianban_s, n))
    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"cases: {n} x {matter_code} ({len(departments)} departments)")
    for name, label in (("bare", "bare Temporal"), ("lianban", "Lianban")):
        if name in rates:
            print(f"{label:14}: {rates[name]:7.1f} cases/s ({n / rates[name]:.1f} s)")
    if len(rates) == 2:
        print(f"ratio         : {rates['lianban'] / rates['bare']:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--matter", default="IND-CONSTRUCTION")
    parser.add_argument("--only", choices=["bare", "lianban"], default=None)
    parser.add_argument(
        "--profile", type=Path, default=None, help="py-spy the Lianban process into this file"
    )
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="the read model on PostgreSQL (a fresh database on 127.0.0.1:5432), not SQLite",
    )
    parser.add_argument(
        "--metrics-cost",
        action="store_true",
        help="Lianban with metrics on (scraped) and off (LIANBAN_METRICS_ENABLED=false), "
        "alternating --rounds times on one stack: the CPU per case of each",
    )
    parser.add_argument("--rounds", type=int, default=2, help="with --metrics-cost")
    args = parser.parse_args()
    if args.metrics_cost:
        asyncio.run(metrics_cost(args.cases, args.matter, args.rounds))
    else:
        asyncio.run(main(args.cases, args.matter, args.only, args.profile, args.postgres))
