"""What metrics cost: `python -m bench.throughput --metrics-cost [--cases N] [--rounds R]`.

On one stack and one database, `lianban serve` runs the same load with metrics on (scraped every
15 s, as deploy/prometheus/prometheus.yaml does) and with
`LIANBAN_METRICS_ENABLED=false`, alternating R times, each round in a fresh process after a
warm-up; prints the Lianban process's CPU per case of each round and the medians' difference.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
from collections.abc import AsyncIterator

import httpx

from bench.cpu import CpuMeter
from bench.harness import Bench, stop, wait_http
from domain.catalog import Matter

SCRAPE_SECONDS = 15.0


@contextlib.asynccontextmanager
async def scraping(url: str) -> AsyncIterator[list[int]]:
    """GET /metrics every few seconds meanwhile; yields the sizes scraped."""
    sizes: list[int] = []

    async def loop() -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            while True:
                sizes.append(len((await http.get(f"{url}/metrics")).content))
                await asyncio.sleep(SCRAPE_SECONDS)

    task = asyncio.create_task(loop())
    try:
        yield sizes
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def one_round(bench: Bench, matter: Matter, n: int, metrics_on: bool, i: int) -> float:
    """CPU seconds per case of a fresh Lianban process over `n` cases."""
    env = {"LIANBAN_METRICS_ENABLED": "true" if metrics_on else "false"}
    proc = bench.serve(f"app-{'on' if metrics_on else 'off'}-{i}", env=env)
    try:
        await wait_http(f"{bench.api_url}/healthz", timeout=300)  # a loaded machine starts slowly
        driver = bench.driver(matter)
        await driver.run(3)  # warm-up: consumer group joins, first workflow tasks
        meter = CpuMeter({"lianban": proc.pid})
        if metrics_on:
            async with scraping(bench.api_url) as sizes:
                wall = await driver.run(n)
            extra = f", {len(sizes)} scrapes of ~{max(sizes, default=0) // 1024} KiB"
        else:
            wall, extra = await driver.run(n), ""
        cpu = meter.used()["lianban"]
        label = "on " if metrics_on else "off"
        print(f"  round {i} metrics {label}: {1000 * cpu / n:6.1f} ms CPU/case, "
              f"{n / wall:5.2f} cases/s{extra}", flush=True)  # fmt: skip
        return cpu / n
    finally:
        bench.procs.remove(proc)
        bench.logs.pop(proc.pid, None)
        stop(proc)


async def compare(bench: Bench, matter: Matter, n: int, rounds: int) -> None:
    on: list[float] = []
    off: list[float] = []
    for i in range(rounds):
        for metrics_on in (True, False) if i % 2 == 0 else (False, True):
            (on if metrics_on else off).append(await one_round(bench, matter, n, metrics_on, i))
    m_on, m_off = statistics.median(on), statistics.median(off)
    print(
        f"metrics on : median {1000 * m_on:.1f} ms CPU/case over {rounds} round(s)\n"
        f"metrics off: median {1000 * m_off:.1f} ms CPU/case\n"
        f"cost       : {100 * (m_on - m_off) / m_off:+.1f} % of Lianban's CPU per case"
    )
