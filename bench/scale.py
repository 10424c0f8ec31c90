"""Scale: 100,000 cases in PostgreSQL; the inbox, the stalled list, the SLA report, audit verify.

    .venv/bin/python -m bench.scale [--cases 100000] [--audit-every 10] [--keep]

Creates a throwaway database on 127.0.0.1:5432 (trust auth), lets `bootstrap` create the schema
(`store.migrate.upgrade`), COPYs the synthetic cases of `bench.scale_story` (half open, half
concluded; tasks, decisions, case log, claims, comments, operator actions, ratings, dead
letters, retrying activities), writes one 200-event case through the real append path
(`store.records.log_case_event`: case log + audit chain), takes an audit anchor, then times,
in-process, the functions the routes call and the routes themselves (httpx over ASGI, tokens
from `infra.tokens.mint`):

- a department inbox page, first page, default sort (200 runs; target p99 <= 20 ms);
- the operator's stalled list, read-model part (20 runs; target p99 <= 200 ms);
- the SLA report, all matters and departments (5 runs; target max <= 2 s);
- audit verify of the 200-event case (50 runs; target p99 <= 50 ms);
- the leadership dashboard, service and page (5 runs each; target max <= 1 s);
- the inbox page (HTML) as it opens (200 runs; target p99 <= 50 ms) and narrowed each way the
  page offers: views, urgency, matter, claims, searches, sort, a far page (100 runs each;
  target p99 <= 100 ms); the staff search and the 200-event case's page.

Audit chains: sealing an entry with the audit module costs ~0.2 ms on a small machine, so
only the cases of every `--audit-every`-th pair get one (`--audit-every 1`: all of them, about
5 min of loading instead of 2.5).

`--keep` leaves the database in place (for EXPLAIN ANALYZE) and prints its URL, its audit
anchors' file under var/bench/; `--url URL` measures such a database again without loading
(migrations applied first, then VACUUM ANALYZE).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx

from bench.audit import project, write_case
from bench.scale_data import World
from bench.scale_load import LoadPlan, LoadStats, load
from bench.scale_measure import (
    Figure,
    Probe,
    dashboard_probes,
    http_probes,
    run,
    service_probes,
    web_case_probes,
    web_filter_probes,
    web_inbox_probe,
)
from entrypoints.http.app import create_app
from entrypoints.runner import settle_heap
from infra.bootstrap import Deps, bootstrap
from infra.settings import AuditSettings, Settings
from services.auditors import verify
from services.auditors.anchors import take_anchor
from services.departments.inbox import calendar_in_force

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
LONG_CASE = "LB-SCALE-LONG-200"
LONG_EVENTS = 200


@contextlib.asynccontextmanager
async def database(keep: bool) -> AsyncIterator[str]:
    """A throwaway database; its SQLAlchemy URL. Dropped at the end unless `keep`."""
    name = f"lianban_scale_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        if keep:
            print(f"kept database: postgresql://postgres@127.0.0.1:5432/{name}")
        else:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def populate(deps: Deps, url: str, plan: LoadPlan) -> LoadStats:
    """The bulk cases, the long case through the real append path, an anchor, statistics."""
    world = World(
        deps.catalog,
        calendar_in_force(deps),
        datetime.now(UTC),
        yellow_days=deps.settings.yellow_days_before,
    )
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        stats = await load(conn, world, plan)
        t0 = time.perf_counter()
        await write_case(deps, LONG_CASE, LONG_EVENTS, per_event_tx=True)
        await project(deps, [LONG_CASE])
        # Anchors are taken every few minutes in production: the second one recomputes the
        # first's digest, which a one-case verify then reports (as it would in service).
        await take_anchor(deps)
        await take_anchor(deps)
        # As autovacuum leaves a table some time after a bulk load: statistics, and the
        # visibility map that lets counts read an index alone.
        await conn.execute("VACUUM ANALYZE")
        stats.seconds += time.perf_counter() - t0
    finally:
        await conn.close()
    return stats


async def sanity(deps: Deps) -> None:
    """The measured case verifies clean; a bulk chain too (read model aside: the synthetic
    rows are not folded from the entries)."""
    report = await verify.verify_case(deps, LONG_CASE, temporal=False)
    assert report.ok and report.entries == LONG_EVENTS, [str(f) for f in report.failures]
    bulk = await verify.verify_case(deps, "LB-S0000000", temporal=False)
    broken = [f for f in bulk.failures if f.check in ("chain", "head", "anchor")]
    assert not broken, [str(f) for f in broken]


async def measure(deps: Deps, max_runs: int | None = None) -> tuple[list[Figure], str]:
    """Every figure, and the machine's load averages before and after: other processes on a
    small machine move these numbers more than 100,000 cases do. `max_runs` caps each probe's
    timed calls (and its warm-up at one), for a quick look or the test suite's smoke run."""

    async def timed(probe: Probe) -> Figure:
        if max_runs is not None:
            probe = replace(probe, runs=min(probe.runs, max_runs), warmup=min(probe.warmup, 1))
        return await run(probe)

    before = os.getloadavg()
    figures = [await timed(p) for p in service_probes(deps, LONG_CASE)]
    transport = httpx.ASGITransport(app=create_app(deps))
    async with httpx.AsyncClient(transport=transport, base_url="http://scale") as http:
        figures += [await timed(p) for p in http_probes(http, deps, LONG_CASE)]
        figures.append(await timed(web_inbox_probe(http, deps)))
        figures += [await timed(p) for p in web_filter_probes(http, deps)]
        figures += [await timed(p) for p in web_case_probes(http, deps, LONG_CASE)]
        figures += [await timed(p) for p in dashboard_probes(http, deps)]
    after = os.getloadavg()
    return figures, f"load average {before[0]:.1f} before, {after[0]:.1f} after measuring"


def machine(pg_version: str) -> str:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{platform.node()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}, PostgreSQL {pg_version}"
    )


def commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return out.stdout.strip() or "?"


def report(figures: list[Figure], stats: LoadStats, where: str) -> None:
    print(f"\nmachine: {where}")
    print(f"commit: {commit()}  date: {datetime.now(UTC):%Y-%m-%d}")
    rows = stats.rows
    print(
        f"data: {rows['cases']:,} cases, {rows['tasks']:,} tasks, {rows['case_events']:,} case "
        f"events, {rows['audit_log'] + LONG_EVENTS:,} audit entries "
        f"({stats.audited_cases + 1:,} cases chained); loaded in {stats.seconds:.0f} s\n"
    )
    head = f"{'measure':48} {'runs':>4} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  target"
    print(head)
    print("-" * len(head))
    for f in figures:
        p = f.probe
        target = "" if f.met is None else f"{p.worst} <= {p.target_ms:g} ms: "
        verdict = "" if f.met is None else "ok" if f.met else "MISSED"
        print(
            f"{p.name:48} {p.runs:>4} {f.pct(50):8.1f} {f.pct(95):8.1f} {f.pct(99):8.1f} "
            f"{max(f.ms):8.1f}  {target}{verdict}"
        )


async def loaded(deps: Deps) -> LoadStats:
    """A kept database's row counts (`--url`: measured again without loading)."""
    async with deps.engine.connect() as conn:
        rows = {
            table: int((await conn.exec_driver_sql(f"SELECT count(*) FROM {table}")).scalar_one())
            for table in ("cases", "tasks", "case_events", "audit_log")
        }
    rows["audit_log"] -= LONG_EVENTS
    return LoadStats(rows, 0.0, 0)


KEPT = Path("var") / "bench"


def anchor_file(url: str, tmp: Path, args: argparse.Namespace) -> Path:
    """The audit anchors' file: a kept database keeps its own beside it (under var/bench/),
    so measuring it again (`--url`) verifies against the same anchors."""
    if not (args.keep or args.url):
        return tmp / "anchors.jsonl"
    path = KEPT / f"{url.rsplit('/', 1)[-1]}.anchors.jsonl"
    if args.url and not path.exists():
        raise SystemExit(f"{path} missing: --url measures a database kept by --keep here")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


async def vacuum(url: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def target(args: argparse.Namespace) -> AsyncIterator[tuple[str, bool]]:
    """The database to measure and whether it must be loaded first."""
    if args.url:
        yield args.url, False
    else:
        async with database(args.keep) as url:
            yield url, True


async def main(args: argparse.Namespace) -> None:
    plan = LoadPlan(args.cases, args.audit_every)
    with tempfile.TemporaryDirectory() as tmp:
        async with target(args) as (url, fresh):
            audit = AuditSettings(anchor_file=str(anchor_file(url, Path(tmp), args)))
            deps = await bootstrap(
                Settings(database_url=url), temporal=False, audit=audit, migrate=True
            )
            try:
                stats = await populate(deps, url, plan) if fresh else await loaded(deps)
                if not fresh:
                    await vacuum(url)  # after the migrations the upgrade just ran
                await sanity(deps)
                settle_heap()  # as `lianban serve` does once started
                figures, load_avg = await measure(deps, args.max_runs)
                async with deps.engine.connect() as conn:
                    version = str((await conn.exec_driver_sql("SHOW server_version")).scalar())
            finally:
                await deps.close()
    report(figures, stats, f"{machine(version)}; {load_avg}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--audit-every", type=int, default=10)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--max-runs", type=int, default=None, help="at most this many timed calls per figure"
    )
    parser.add_argument(
        "--url",
        help="measure a database kept by an earlier --keep run (migrated to head first) "
        "instead of loading a new one",
    )
    asyncio.run(main(parser.parse_args()))
