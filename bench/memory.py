"""Memory: peak RSS of the worker process with N open cases waiting on decisions.

    .venv/bin/python -m bench.memory [--cases 5000] [--matter IND-CONSTRUCTION]

The worker runs alone in its own process (`lianban serve --no-api --no-consumers --no-relay`);
the consumers, relay and API in another. Cases are submitted over Kafka; once every review task
is out (every case is parked waiting for its decisions) the worker's VmHWM (peak RSS) and VmRSS
are read from /proc.

`--tracemalloc` traces the worker's Python heap (`bench.traced`; its RSS is then larger by the
traces) from the end of the first batch, which fills the workflow cache: a snapshot after each
later batch, and at the end what grew from the first snapshot to the last, by traceback — what
grows with the open cases.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import signal
import time
import tracemalloc
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


async def snapshot(pid: int, folder: Path, n: int) -> Path:
    """Ask the traced worker for its `n`th heap snapshot and wait until it is written."""
    os.kill(pid, signal.SIGUSR1)
    while not (folder / f"{n}.done").exists():
        await asyncio.sleep(0.2)
    return folder / f"{n}.snap"


def heap_growth(first: Path, last: Path, top: int = 15) -> None:
    """What grew between two snapshots: totals, then the largest growths by traceback."""
    before, after = (tracemalloc.Snapshot.load(str(p)) for p in (first, last))
    total = [sum(s.size for s in snap.statistics("filename")) / 2**20 for snap in (before, after)]
    print(f"Python heap (traced): {total[0]:.1f} MB -> {total[1]:.1f} MB")
    for diff in after.compare_to(before, "traceback")[:top]:
        print(f"\n+{diff.size_diff / 1024:.0f} KiB, +{diff.count_diff} blocks")
        for line in diff.traceback.format(limit=8, most_recent_first=True):
            print("   ", line)


async def main(
    cases: int, matter_code: str, batch: int, settle: float = 5.0, traced: bool = False
) -> None:
    matter = load_catalog().matter(matter_code)
    assert matter is not None
    depts = len(matter.departments)
    async with bench_stack() as bench:
        snaps: list[Path] = []
        env = {"LIANBAN_BENCH_SNAPSHOT_DIR": str(bench.tmp)} if traced else {}
        module = "bench.traced" if traced else "entrypoints.cli.main"
        flags = ("--no-api", "--no-consumers", "--no-relay")
        worker = bench.serve("worker", *flags, env=env, module=module)
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
            if traced and opened == n:
                os.kill(worker.pid, signal.SIGUSR1)  # start tracing
            elif traced:
                snaps.append(await snapshot(worker.pid, bench.tmp, len(snaps) + 1))
        elapsed = time.perf_counter() - t0
        await asyncio.sleep(settle)  # let the worker settle with every case parked
        mem = rss_mb(worker.pid)
        if snaps:  # at least two batches after the first
            heap_growth(snaps[0], await snapshot(worker.pid, bench.tmp, len(snaps) + 1))
    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"open cases: {cases} x {matter_code} ({depts} departments), opened in {elapsed:.0f} s")
    print(f"worker peak RSS (VmHWM): {mem['VmHWM']:.0f} MB; RSS now: {mem['VmRSS']:.0f} MB")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--matter", default="IND-CONSTRUCTION")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument(
        "--tracemalloc", action="store_true", help="the worker's Python heap growth, by traceback"
    )
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.matter, args.batch, traced=args.tracemalloc))
