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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from temporalio.client import Client

from bench.bare import BareCaseWorkflow
from bench.cpu import CpuMeter, against_temporal, cores_busy, format_cores, format_usage, pin
from bench.harness import Bench, LianbanDriver, bench_stack, spawn, wait_http, wait_line
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


# Lianban's parts, each its own `lianban serve` process with --split.
PARTS = ("worker", "consumers", "relay", "api")
# --pin: the servers and the driver (the outside world) on one core, Lianban on the other.
SERVER_CORE, LIANBAN_CORE = {0}, {1}


@dataclass(frozen=True)
class Mode:
    """What runs and how: `only` one of the two shapes; `profile` py-spy's output; `pin` the
    servers and the driver to core 0 and Lianban to core 1, as production runs them on hosts of
    their own; `split` Lianban as one process per part (on PostgreSQL), as production deploys
    it."""

    only: str | None = None
    profile: Path | None = None
    pin: bool = False
    split: bool = False


async def main(
    n: int,
    matter_code: str,
    only: str | None,
    profile: Path | None,
    postgres: bool,
    *,
    pin: bool = False,
    split: bool = False,
) -> None:
    mode = Mode(only, profile, pin, split)
    if pin and not os.sched_getaffinity(0) | SERVER_CORE >= LIANBAN_CORE:
        raise SystemExit("--pin needs cores 0 and 1")
    if postgres or split:  # processes of their own share one database: PostgreSQL
        async with postgres_database() as url:
            await _main(n, matter_code, mode, url)
    else:
        await _main(n, matter_code, mode, None)


@contextlib.contextmanager
def pinned(pids: Iterable[int], cpus: set[int]) -> Iterator[None]:
    """`pids` (every thread) on `cpus` meanwhile, then back where they were: the servers may be
    a test session's, and this process's children inherit its cores."""
    before = {pid: os.sched_getaffinity(pid) for pid in pids}
    for pid in before:
        pin(pid, cpus)
    try:
        yield
    finally:
        for pid, cpus_before in before.items():
            with contextlib.suppress(OSError):  # a server that stopped meanwhile
                pin(pid, cpus_before)


def start_lianban(bench: Bench, split: bool) -> dict[str, subprocess.Popen[bytes]]:
    """`lianban serve` with every part in one process, or one process per part."""
    if not split:
        return {"lianban": bench.serve("app")}
    return {part: bench.serve(part, *(f"--no-{p}" for p in PARTS if p != part)) for part in PARTS}


def server_pids(bench: Bench) -> dict[str, int]:
    assert bench.stack.temporal and bench.stack.temporal.proc
    assert bench.stack.broker and bench.stack.broker.proc
    return {
        "temporal": bench.stack.temporal.proc.pid,
        "tansu": bench.stack.broker.proc.pid,
        "driver": os.getpid(),
    }


async def _main(n: int, matter_code: str, mode: Mode, database_url: str | None) -> None:
    matter = load_catalog().matter(matter_code)
    assert matter is not None, f"unknown matter {matter_code}"
    departments = [d.code for d in matter.departments]
    rates: dict[str, float] = {}
    async with bench_stack(database_url) as bench:
        servers = server_pids(bench)
        with pinned(servers.values() if mode.pin else (), SERVER_CORE):
            bench.serve_cpus = LIANBAN_CORE if mode.pin else None
            bare_log = bench.tmp / "bare.log"
            address = bench.stack.temporal_address
            bare = spawn([sys.executable, "-m", "bench.bare", "--address", address], {}, bare_log)
            if mode.pin:
                pin(bare.pid, LIANBAN_CORE)
            bench.procs.append(bare)
            lianban = start_lianban(bench, mode.split)
            await wait_line(bare_log, "bare worker ready")
            await wait_http(f"{bench.api_url}/healthz")
            driver = bench.driver(matter)
            await driver.run(2)  # warm-up: consumer group joins, first workflow tasks
            await run_bare(address, "bare", 2, departments)
            if mode.only != "lianban":
                meter = CpuMeter({**servers, "bare worker": bare.pid})
                cores = cores_busy()
                bare_s = await run_bare(address, "bare", n, departments)
                rates["bare"] = n / bare_s
                print(format_usage(meter.used(), bare_s, n))
                print_cores(mode, cores, bare_s)
            if mode.only != "bare":
                lianban_s = await lianban_phase(bench, servers, lianban, n, driver, mode)
                rates["lianban"] = n / lianban_s
    print_rates(n, matter_code, departments, rates, mode)


async def lianban_phase(
    bench: Bench,
    servers: dict[str, int],
    lianban: dict[str, subprocess.Popen[bytes]],
    n: int,
    driver: LianbanDriver,
    mode: Mode,
) -> float:
    """Lianban's `n` cases: the wall time; prints each process's CPU (and each part's, split)."""
    # On PostgreSQL the server's work for Lianban counts too (the bare shape has none).
    db = {"postgres": "postgres"} if "postgresql" in bench.env["LIANBAN_DATABASE_URL"] else {}
    meter = CpuMeter({**servers, **{name: p.pid for name, p in lianban.items()}}, db)
    cores = cores_busy()
    profiled_pid = (lianban.get("lianban") or lianban["worker"]).pid
    with profiled(profiled_pid, mode.profile):
        wall = await driver.run(n)
    used = meter.used()
    print(format_usage(used, wall, n))
    print(against_temporal(used, list(lianban)))
    if mode.split:
        total = sum(used[part] for part in lianban)
        print(f"lianban, {len(lianban)} processes: {total:.1f}s ({1000 * total / n:.0f} ms/case)")
    print_cores(mode, cores, wall)
    return wall


def print_cores(mode: Mode, before: dict[int, float], wall: float) -> None:
    if mode.pin:
        cores = format_cores(before, wall, SERVER_CORE | LIANBAN_CORE)
        print(f"pinned: core 0 temporal, tansu, driver; core 1 lianban, bare worker: {cores}")


def print_rates(
    n: int, matter_code: str, departments: list[str], rates: dict[str, float], mode: Mode
) -> None:
    machine = f"{platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}, load {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    layout = "one process per part" if mode.split else "one process"
    print(f"cases: {n} x {matter_code} ({len(departments)} departments); Lianban in {layout}")
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
    parser.add_argument(
        "--pin",
        action="store_true",
        help="Temporal, the broker and the driver on core 0, Lianban's processes on core 1; "
        "prints how busy each core was",
    )
    parser.add_argument(
        "--split",
        action="store_true",
        help="Lianban as one `lianban serve` process per part (worker, consumers, relay, api) "
        "on PostgreSQL; prints each part's CPU and their sum",
    )
    args = parser.parse_args()
    if args.metrics_cost:
        asyncio.run(metrics_cost(args.cases, args.matter, args.rounds))
    else:
        asyncio.run(
            main(
                args.cases,
                args.matter,
                args.only,
                args.profile,
                args.postgres,
                pin=args.pin,
                split=args.split,
            )
        )
