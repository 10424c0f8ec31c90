"""Memory: peak RSS of the worker process with N open cases waiting on decisions.

    .venv/bin/python -m bench.memory [--cases 5000] [--matter IND-CONSTRUCTION]

The worker runs alone in its own process (`lianban serve --no-api --no-consumers --no-relay`);
the consumers, relay and API in another. Cases are submitted over Kafka; once every review task
is out (every case is parked waiting for its decisions) the worker's VmHWM (peak RSS) and VmRSS
are read from /proc.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import time
from pathlib import Path

from bench.harness import bench_stack, wait_http
from domain.catalog import load_catalog


def rss_mb(pid: int) -> dict[str, float]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            fields[key] = int(value.split()[0]) / 1024
    return fields


async def main(cases: int, matter_code: str, batch: int, settle: float = 5.0) -> None:
    matter = load_catalog().matter(matter_code)
    assert matter is not None
    depts = len(matter.departments)
    async with bench_stack() as bench:
        worker = bench.serve("worker", "--no-api", "--no-consumers", "--no-relay")
        bench.serve("app", "--no-worker")
        await wait_http(f"{bench.api_url}/healthz")
        driver = bench.driver(matter)
        t0 = time.perf_counter()
        opened = 0
        while opened < cases:
            n = min(batch, cases - opened)
            await driver.open_cases(n, depts)
            opened += n
            print(f"open cases: {opened}  worker {rss_mb(worker.pid)}", flush=True)
        elapsed = time.perf_counter() - t0
        await asyncio.sleep(settle)  # let the worker settle with every case parked
        mem = rss_mb(worker.pid)
    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"open cases: {cases} x {matter_code} ({depts} departments), opened in {elapsed:.0f} s")
    print(f"worker peak RSS (VmHWM): {mem['VmHWM']:.0f} MB; RSS now: {mem['VmRSS']:.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--matter", default="IND-CONSTRUCTION")
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.matter, args.batch))
