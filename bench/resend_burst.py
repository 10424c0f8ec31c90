"""A burst of decisions from departments that re-send until acknowledged: how many records they
produce per decision (amplification) and how long their acknowledgements take.

    .venv/bin/python -m bench.resend_burst [--cases 1000] [--matter IND-CONSTRUCTION]
        [--resend 30] [--resend-max 600] [--postgres]

Starts its own embedded stack and one `lianban serve` (every part, SQLite unless --postgres),
opens `--cases` cases and waits until every review task is out; then one reference client
(`examples/department_client.py`) per department, on the contract's re-send schedule
(`--resend` first, doubling, at most `--resend-max`; `--resend 5 --resend-max 5` is the fixed
5 s of before), reads the tasks, decides them all at once and re-sends each decision until it
sees `DepartmentDecided` for it. Prints: decisions, records produced (first sends and
re-sends) per decision, `DepartmentDecided` records seen per decision, the acknowledgement's
latency from the moment the department decided (p50, p99, max), how long the burst took to be
acknowledged, the broker's resident memory before and after, and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from aiokafka import ConsumerRecord

from bench.harness import SIGNERS, Bench, bench_stack, wait_http
from domain.catalog import load_catalog
from entrypoints.devstack.postgres import postgres_database
from examples.department_client import Config, DepartmentClient


class TimedClient(DepartmentClient):
    """The reference client, noting when it decided each task and when it saw the answer."""

    def __init__(self, config: Config, cases: set[str]) -> None:
        super().__init__(config)
        self.cases = cases
        self.decided_at: dict[str, float] = {}
        self.acked_at: dict[str, float] = {}
        self.acks_seen: Counter[str] = Counter()

    def on_task(self, rec: ConsumerRecord) -> None:
        super().on_task(rec)
        now = time.monotonic()
        for d in self.state.decisions.values():
            if d.case_id in self.cases:
                self.decided_at.setdefault(d.event_id, now)

    def on_event(self, rec: ConsumerRecord) -> None:
        doc = json.loads(rec.value or b"{}")
        mine = {d.event_id for d in self.state.decisions.values()}
        if doc.get("event_type") == "DepartmentDecided":
            answered = str((doc.get("data") or {}).get("decision_event_id"))
            if answered in mine:
                self.acks_seen[answered] += 1
                self.acked_at.setdefault(answered, time.monotonic())
        super().on_event(rec)

    def burst(self) -> list[Any]:
        return [d for d in self.state.decisions.values() if d.case_id in self.cases]


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _until_acknowledged(clients: list[TimedClient], expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        burst = [d for c in clients for d in c.burst()]
        if len(burst) == expected and not any(d.pending for d in burst):
            return
        await asyncio.sleep(0.5)
    raise TimeoutError(f"not every decision acknowledged within {timeout:.0f} s")


async def _burst(bench: Bench, args: argparse.Namespace, departments: list[str]) -> dict[str, Any]:
    matter = load_catalog().matter(args.matter)
    assert matter is not None
    assert bench.stack.broker is not None and bench.stack.broker.proc is not None
    broker_pid = bench.stack.broker.proc.pid
    rss_before = _rss_mb(broker_pid)
    opened = await bench.driver(matter).open_cases(args.cases, len(departments))
    cases = {case_id for case_id, _ in opened}
    clients = [
        TimedClient(
            Config(
                bootstrap=bench.stack.kafka_bootstrap,
                prefix=bench.env["LIANBAN_TOPIC_PREFIX"],
                departments=(dept,),
                reviewer=f"{dept}-system",
                resend_seconds=args.resend,
                resend_max_seconds=args.resend_max,
                signers={dept: SIGNERS[dept]},
            ),
            cases,
        )
        for dept in departments
    ]
    stop = asyncio.Event()
    running = [asyncio.create_task(c.run(stop)) for c in clients]
    t0 = time.monotonic()
    try:
        await _until_acknowledged(clients, len(opened), args.timeout)
        took = time.monotonic() - t0
    finally:
        stop.set()
        for task in running:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 30)
    decisions = [d for c in clients for d in c.burst()]
    latency = [c.acked_at[e] - c.decided_at[e] for c in clients for e in c.decided_at]
    return {
        "decisions": len(decisions),
        "records": sum(d.sends for d in decisions),
        "acks": sum(sum(c.acks_seen.values()) for c in clients),
        "latency": latency,
        "took": took,
        "rss": (rss_before, _rss_mb(broker_pid)),
    }


async def main(args: argparse.Namespace) -> None:
    matter = load_catalog().matter(args.matter)
    assert matter is not None, f"unknown matter {args.matter}"
    departments = [d.code for d in matter.departments]
    load_before = os.getloadavg()
    if args.postgres:
        async with postgres_database() as url, bench_stack(url) as bench:
            bench.serve("app")
            await wait_http(f"{bench.api_url}/healthz")
            got = await _burst(bench, args, departments)
    else:
        async with bench_stack() as bench:
            bench.serve("app")
            await wait_http(f"{bench.api_url}/healthz")
            got = await _burst(bench, args, departments)
    n, lat = got["decisions"], got["latency"]
    print(f"machine: {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"load average before: {load_before[0]:.2f}, after: {os.getloadavg()[0]:.2f}")
    print(f"cases: {args.cases} x {args.matter} ({len(departments)} departments)")
    print(f"schedule: first re-send {args.resend:g} s, doubling, at most {args.resend_max:g} s")
    print(f"decisions          : {n}")
    print(f"records produced   : {got['records']} ({got['records'] / n:.2f} per decision)")
    print(f"DepartmentDecided  : {got['acks']} seen ({got['acks'] / n:.2f} per decision)")
    print(
        f"acknowledged after : p50 {statistics.median(lat):.1f} s, p99 {_pct(lat, 0.99):.1f} s,"
        f" max {max(lat):.1f} s"
    )
    print(f"burst acknowledged : {got['took']:.1f} s")
    before, after = got["rss"]
    print(f"broker memory      : {before:.0f} MB before, {after:.0f} MB after")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--matter", default="IND-CONSTRUCTION")
    parser.add_argument("--resend", type=float, default=30.0)
    parser.add_argument("--resend-max", type=float, default=600.0)
    parser.add_argument("--timeout", type=float, default=3600.0)
    parser.add_argument("--postgres", action="store_true")
    asyncio.run(main(parser.parse_args()))
