"""Audit: append, replay and verify one case of 200 events; verify 10,000 cases.

    .venv/bin/python -m bench.audit [--cases 10000] [--events 200] [--postgres]

Writes the long case through the real append path (`store.records.log_case_event`: case log
row + audit entry, chained; one transaction per event, timed) and the many cases in bulk with
the same entries (`store.audit.make_entry`), projects their read model (`cases`, `tasks`) from
the same events, takes an anchor, then times `replay`, `verify_case` and `verify_all` — the
chains, heads, anchor and read-model cross-check; the Temporal cross-check is off (the cases
have no workflows; it is one round trip per case when on). SQLite in a temporary file by
default; `--postgres` uses a throwaway database on 127.0.0.1:5432.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import sqlalchemy as sa

from bench.audit_data import case_events as case_events_of
from domain.audit import GENESIS
from domain.audit_fold import fold
from infra.bootstrap import Deps, bootstrap
from infra.settings import AuditSettings, Settings
from services.auditors import dossier, replay, verify
from services.auditors.anchors import take_anchor
from store import audit as store
from store.db import insert_ignore
from store.records import log_case_event
from store.schema import audit_heads, audit_log, case_events, cases, tasks

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"
START = datetime(2026, 9, 29, 1, 0, tzinfo=UTC)


@contextlib.asynccontextmanager
async def database(postgres: bool, tmp: Path) -> AsyncIterator[str]:
    if not postgres:
        yield f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
        return
    name = f"lianban_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def write_case(deps: Deps, case_id: str, events: int, per_event_tx: bool) -> None:
    """Append the case's events (one transaction each, as the services do, or one for all)."""
    envelopes = case_events_of(case_id, START, events)
    if per_event_tx:
        for env in envelopes:
            async with deps.sessions() as s, s.begin():
                await log_case_event(s, env)
        return
    async with deps.sessions() as s, s.begin():
        for env in envelopes:
            await log_case_event(s, env)


async def write_plain(deps: Deps, case_id: str, events: int) -> None:
    """The same events into the case log alone (what logging cost before the audit log)."""
    for env in case_events_of(case_id, START, events):
        async with deps.sessions() as s, s.begin():
            await s.execute(
                insert_ignore(deps.engine.dialect.name, case_events, "event_id").values(
                    event_id=str(env.event_id),
                    case_id=case_id,
                    event_type=env.event_type,
                    occurred_at=env.occurred_at,
                    data=env.data,
                )
            )


async def project(deps: Deps, case_ids: list[str]) -> None:
    """The read model of the cases, from their entries (what the activities would have
    written): so the cross-check compares real rows."""
    async with deps.sessions() as s:
        by_case = await store.entries_of(s, case_ids)
    case_rows: list[dict[str, Any]] = []
    task_rows: list[dict[str, Any]] = []
    for case_id, entries in by_case.items():
        state = fold(case_id, entries)
        row = state.case_row() | {"query_code": "123456", "updated_at": entries[-1].occurred_at}
        case_rows.append(row)
        task_rows += [t | {"opinion_only": t["department"] == "health"} for t in state.task_rows()]
    async with deps.sessions() as s, s.begin():
        await s.execute(sa.insert(cases), case_rows)
        await s.execute(sa.insert(tasks), task_rows)


async def timed(fn: Callable[[], Awaitable[Any]], repeat: int = 1) -> float:
    """The median wall time of `repeat` runs, in seconds."""
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        await fn()
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def _rows(case_ids: list[str]) -> dict[sa.Table, list[dict[str, Any]]]:
    """Case-log rows, sealed audit entries (`store.audit.make_entry`, as `append` makes them)
    and heads of 12-event cases."""
    now = datetime.now(UTC)
    rows: dict[sa.Table, list[dict[str, Any]]] = {case_events: [], audit_log: [], audit_heads: []}
    for case_id in case_ids:
        prev = GENESIS
        for seq, env in enumerate(case_events_of(case_id, START, 12), start=1):
            entry = store.make_entry(env, seq, prev, None, None)
            rows[audit_log].append(store.entry_row(entry, now))
            rows[case_events].append(
                {
                    "event_id": str(env.event_id),
                    "case_id": case_id,
                    "event_type": env.event_type,
                    "occurred_at": env.occurred_at,
                    "data": env.data,
                }
            )
            prev = entry.hash
        rows[audit_heads].append({"case_id": case_id, "seq": 12, "hash": prev, "updated_at": now})
    return rows


async def populate(deps: Deps, n: int) -> None:
    """`n` 12-event cases written in bulk (the append path is timed on the long case: at one
    transaction per event, 10,000 cases would take most of the run) and their read model."""
    ids = [f"LB-B{i:07d}" for i in range(n)]
    for start in range(0, n, 1000):
        batch = ids[start : start + 1000]
        async with deps.sessions() as s, s.begin():
            for table, rows in _rows(batch).items():
                await s.execute(sa.insert(table), rows)
        await project(deps, batch)


async def one_case(deps: Deps, events: int) -> dict[str, float]:
    """Append a long case through the real path, anchor, then time reading it back."""
    case_id = "LB-LONG-0001"
    t0 = time.perf_counter()
    await write_case(deps, case_id, events, per_event_tx=True)
    append_ms = (time.perf_counter() - t0) / events * 1000
    await project(deps, [case_id])
    t0 = time.perf_counter()
    await write_plain(deps, "LB-PLAIN-0001", events)
    plain_ms = (time.perf_counter() - t0) / events * 1000
    anchor_s = await timed(lambda: take_anchor(deps))
    mid = START.replace(hour=2)
    return {
        "plain_ms_per_event": plain_ms,
        "anchor_ms": anchor_s * 1000,
        "append_ms_per_event": append_ms,
        "replay_ms": 1000 * await timed(lambda: replay.replay(deps, case_id), 5),
        "replay_at_ms": 1000 * await timed(lambda: replay.replay(deps, case_id, mid), 5),
        "verify_ms": 1000
        * await timed(lambda: verify.verify_case(deps, case_id, temporal=False), 5),
        "verify_chain_ms": 1000
        * await timed(lambda: verify.verify_case(deps, case_id, temporal=False, anchors=False), 5),
        "dossier_ms": 1000 * await timed(lambda: dossier.dossier(deps, case_id, temporal=False), 3),
    }


async def main(n: int, events: int, postgres: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        async with database(postgres, Path(tmp)) as url:
            audit = AuditSettings(anchor_file=str(Path(tmp) / "anchors.jsonl"))
            deps = await bootstrap(
                Settings(database_url=url), temporal=False, audit=audit, migrate=True
            )
            try:
                await report(deps, n, events, "PostgreSQL" if postgres else "SQLite")
            finally:
                await deps.close()


async def report(deps: Deps, n: int, events: int, backend: str) -> None:
    await populate(deps, n)
    single = await one_case(deps, events)
    t0 = time.perf_counter()
    result = await verify.verify_all(deps, temporal=False)
    verify_s = time.perf_counter() - t0
    assert result.ok, [str(f) for f in result.failures[:5]]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Py {platform.python_version()}"
    print(f"audit benchmark on {backend} ({machine}), {n} cases of 12 events + 1 of {events}")
    rows = [
        ("log + audit, one transaction per event", f"{single['append_ms_per_event']:.2f} ms/event"),
        ("(case log alone, as before the audit)", f"{single['plain_ms_per_event']:.2f} ms/event"),
        (f"anchor over {n + 1} cases", f"{single['anchor_ms']:.0f} ms"),
        (f"replay the {events}-event case", f"{single['replay_ms']:.1f} ms"),
        ("replay it --at mid-case", f"{single['replay_at_ms']:.1f} ms"),
        ("verify it: chain, head, read model", f"{single['verify_chain_ms']:.1f} ms"),
        ("  + the latest anchor (all cases)", f"{single['verify_ms']:.1f} ms"),
        ("dossier JSON of it", f"{single['dossier_ms']:.1f} ms"),
        (
            f"verify --all ({result.cases} cases)",
            f"{verify_s:.1f} s ({result.cases / verify_s:.0f} cases/s, "
            f"{result.entries / verify_s:.0f} entries/s)",
        ),
    ]
    for label, value in rows:
        print(f"  {label:<42}{value}")
    print(
        f"| {datetime.now(UTC):%Y-%m-%d} | {backend} | {machine} | {events} | "
        f"{single['append_ms_per_event']:.2f} | {single['plain_ms_per_event']:.2f} | "
        f"{single['replay_ms']:.1f} | "
        f"{single['verify_chain_ms']:.1f} / {single['verify_ms']:.1f} | {result.cases} | "
        f"{verify_s:.1f} | "
        f"{result.entries / verify_s:.0f} |"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.events, args.postgres))
