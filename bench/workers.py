"""How Lianban's throughput grows with worker processes: the same 200-case run with 1, 2 and 4
worker processes (`lianban serve --no-consumers --no-relay --no-api`), beside one process with
the consumers, the relay and the API, on PostgreSQL, over Kafka.

    .venv/bin/python -m bench.workers [--cases 200] [--workers 1 2 4] [--matter OUTDOOR-AD]

Prints cases/s for each count, and the database's size per case at the end. One stack for all
counts; the worker processes are started and stopped between runs, the other process stays. On
a 2-core machine more processes than cores share the same CPU: the figure says what a second
or fourth process buys there, not on a bigger host.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform

from bench.harness import bench_stack, stop, wait_http
from domain.catalog import load_catalog
from entrypoints.devstack.postgres import postgres_database


async def _database_size(url: str) -> tuple[int, int]:
    """The PostgreSQL database's size on disk and its number of cases (every table, index and
    TOAST: case log, audit chain, outbox, read model)."""
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute("VACUUM ANALYZE")
        size = await conn.fetchval("SELECT pg_database_size(current_database())")
        count = await conn.fetchval("SELECT count(*) FROM cases")
    finally:
        await conn.close()
    return int(size), int(count)


async def main(cases: int, counts: list[int], matter_code: str) -> None:
    matter = load_catalog().matter(matter_code)
    assert matter is not None, f"unknown matter {matter_code}"
    rates: dict[int, float] = {}
    async with postgres_database() as url, bench_stack(url) as bench:
        bench.serve("io", "--no-worker")
        await wait_http(f"{bench.api_url}/healthz")
        driver = bench.driver(matter)
        for count in counts:
            workers = [
                bench.serve(f"worker{count}-{i}", "--no-consumers", "--no-relay", "--no-api")
                for i in range(count)
            ]
            await driver.run(4)  # warm-up: pollers on the queue, first workflow tasks
            seconds = await driver.run(cases)
            rates[count] = cases / seconds
            print(f"{count} worker process(es): {rates[count]:6.1f} cases/s ({seconds:.1f} s)")
            for proc in workers:
                bench.logs.pop(proc.pid, None)  # stopped on purpose, not dead
                stop(proc)
        size, count = await _database_size(url)
    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"cases: {cases} x {matter_code} ({len(matter.departments)} departments), PostgreSQL")
    for workers_n, rate in rates.items():
        print(f"| {workers_n} | {rate:.1f} |")
    print(f"database: {size / 1e6:.1f} MB for {count} cases, {size / count / 1e3:.1f} kB per case")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--matter", default="OUTDOOR-AD")
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.workers, args.matter))
