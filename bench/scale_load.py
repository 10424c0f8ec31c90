"""Bulk-loading the scale benchmark's cases into PostgreSQL with COPY (asyncpg).

Rows are generated in batches (`bench.scale_story`) and copied table by table; audit entries
are sealed with the audit module's own `store.audit.make_entry` (masking, redaction, hash
chain), so `verify` accepts them. Sealing costs ~0.2 ms an entry on a small machine (3 min
for every case of 100,000), so by default only every `audit_every`-th pair of cases gets a
chain: see `LoadPlan`.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import sqlalchemy as sa

from bench.scale_data import CaseRows, World, new_uuid
from bench.scale_events import check_shapes
from bench.scale_story import make_case, payloads
from domain.audit import GENESIS, AuditEntry
from events.envelope import Envelope
from store.audit import make_entry
from store.schema import metadata

# Parents before children (tasks reference cases).
TABLE_ORDER = (
    "cases",
    "tasks",
    "decisions",
    "case_events",
    "audit_log",
    "audit_heads",
    "task_assignments",
    "task_comments",
    "operator_actions",
    "ratings",
    "follow_ups",
    "dead_letters",
    "activity_incidents",
)
Rows = dict[str, list[dict[str, Any]]]
SHAPE_SAMPLE = 500  # the first cases' events hold every event type the story writes


@dataclass(frozen=True)
class LoadPlan:
    cases: int
    audit_every: int  # cases 2k and 2k+1 get audit chains when k % audit_every == 0
    batch: int = 5000
    seed: int = 7

    def audited(self, i: int) -> bool:
        return (i // 2) % self.audit_every == 0


@dataclass
class LoadStats:
    rows: dict[str, int]
    seconds: float
    audited_cases: int


def _audit_rows(case: CaseRows, rows: Rows) -> None:
    """The case's chain, sealed as `store.audit.append` seals it, and its head."""
    prev, case_id = GENESIS, case.case["case_id"]
    for seq, e in enumerate(case.events, start=1):
        envelope = Envelope.model_construct(
            event_id=e.event_id,
            event_type=e.event_type,
            schema_version=1,
            case_id=case_id,
            occurred_at=e.occurred_at,
            producer=e.producer,
            traceparent=None,
            data=e.data,
        )
        entry = make_entry(envelope, seq, prev, None, None)
        rows["audit_log"].append(_entry_row(entry, e.occurred_at + timedelta(milliseconds=20)))
        prev = entry.hash
    last = case.events[-1].occurred_at
    head = {"case_id": case_id, "seq": len(case.events), "hash": prev, "updated_at": last}
    rows["audit_heads"].append(head)


def _entry_row(entry: AuditEntry, recorded_at: datetime) -> dict[str, Any]:
    """`store.audit.entry_row` without its deep copy (`dataclasses.asdict`): the copy cost
    more than sealing. The row is the same."""
    names = ("seq", "case_id", "event_id", "event_type", "occurred_at", "actor", "role")
    more = ("action", "data", "prev_hash", "hash")
    return {n: getattr(entry, n) for n in names + more} | {"recorded_at": recorded_at}


def _case_rows(case: CaseRows, audited: bool, rows: Rows) -> None:
    rows["cases"].append(case.case)
    rows["tasks"] += case.tasks
    for e in case.events:
        rows["case_events"].append(
            {
                "event_id": e.event_id,
                "case_id": case.case["case_id"],
                "event_type": e.event_type,
                "occurred_at": e.occurred_at,
                "data": e.data,
            }
        )
    for table, extra in case.extra.items():
        rows[table] += extra
    if audited:
        _audit_rows(case, rows)


def generate(world: World, plan: LoadPlan, start: int, stop: int) -> Rows:
    """Rows of cases [start, stop), the same for the same seed whatever the batch size."""
    rows: Rows = defaultdict(list)
    samples: list[tuple[str, dict[str, Any]]] = []
    for i in range(start, stop):
        case = make_case(world, i, random.Random(plan.seed * 1_000_003 + i))
        if i < SHAPE_SAMPLE:
            samples += payloads(case)
        _case_rows(case, plan.audited(i), rows)
    check_shapes(samples)
    return rows


def _json(value: Any) -> str:
    # Most reasons/conditions are empty: skipping the encoder for them saves ~10 s a load.
    return "[]" if value == [] else json.dumps(value, ensure_ascii=False)


def _record(json_columns: list[bool], columns: list[str], row: dict[str, Any]) -> tuple[Any, ...]:
    # asyncpg takes JSON columns as text.
    return tuple(
        _json(row[c]) if is_json else row[c]
        for c, is_json in zip(columns, json_columns, strict=True)
    )


async def copy_rows(conn: asyncpg.Connection, rows: Rows) -> None:
    for name in TABLE_ORDER:
        batch = rows.get(name)
        if not batch:
            continue
        table = metadata.tables[name]
        columns = [c.name for c in table.c if c.name in batch[0]]
        json_columns = [isinstance(table.c[c].type, sa.JSON) for c in columns]
        records = [_record(json_columns, columns, r) for r in batch]
        await conn.copy_records_to_table(name, records=records, columns=columns)


def side_rows(world: World, open_tasks: list[tuple[str, str]], seed: int) -> Rows:
    """Dead letters (two in three waiting for a re-drive) and activities retrying, on open
    cases: the stalled list's `dead_letter` and `activity_retrying` reasons."""
    rng = random.Random(seed)
    picked = rng.sample(open_tasks, 80)
    rows: Rows = defaultdict(list)
    for n, (case_id, dept) in enumerate(picked[:60]):
        rows["dead_letters"].append(_dead_letter(world, n, case_id, dept, rng))
    for case_id, dept in picked[60:]:
        rows["activity_incidents"].append(_incident(world, case_id, dept, rng))
    return rows


def _dead_letter(
    world: World, n: int, case_id: str, dept: str, rng: random.Random
) -> dict[str, Any]:
    raw = {
        "event_id": new_uuid(rng),
        "event_type": "DecisionMade",
        "case_id": case_id,
        "data": {"department": dept, "outcome": "approve", "reviewer": "dept-system"},
    }
    at = world.now - timedelta(hours=rng.uniform(1, 200))
    return {
        "case_id": case_id,
        "source_topic": "lianban.decisions",
        "partition": n % 6,
        "offset": 10_000 + n,
        "key": case_id,
        "raw": json.dumps(raw),
        "error": rng.choice(("conflicting_decision", "invalid_payload", "unknown_department")),
        "detail": "synthetic dead letter",
        "created_at": at,
        "redriven_at": at + timedelta(minutes=30) if n % 3 == 0 else None,
    }


def _incident(world: World, case_id: str, dept: str, rng: random.Random) -> dict[str, Any]:
    return {
        "workflow_id": f"{case_id}/review/{dept}",
        "activity_id": str(rng.randint(1, 9)),
        "case_id": case_id,
        "activity_type": "deliver_task_http",
        "attempt": rng.randint(2, 40),
        "error": "ConnectError: department endpoint unreachable",
        "updated_at": world.now - timedelta(hours=rng.uniform(1, 50)),
    }


async def load(conn: asyncpg.Connection, world: World, plan: LoadPlan) -> LoadStats:
    """Generate and COPY every case, then the side tables; returns row counts and time.

    The next batch is generated in a thread while the current one is copied, so the
    server's half of COPY (parsing, indexes, WAL) overlaps Python's half of generating.
    """
    t0 = time.perf_counter()
    counts: dict[str, int] = defaultdict(int)
    open_tasks: list[tuple[str, str]] = []
    starts = list(range(0, plan.cases, plan.batch))
    pending = asyncio.create_task(_generated(world, plan, starts[0]))
    for n, start in enumerate(starts):
        rows = await pending
        if n + 1 < len(starts):
            pending = asyncio.create_task(_generated(world, plan, starts[n + 1]))
        await copy_rows(conn, rows)
        for name, batch in rows.items():
            counts[name] += len(batch)
        open_tasks += [
            (t["case_id"], t["department"]) for t in rows["tasks"] if t["status"] == "open"
        ]
        done = min(plan.cases, start + plan.batch)
        print(f"  {done:,} cases loaded ({time.perf_counter() - t0:.0f} s)", flush=True)
    side = side_rows(world, open_tasks, plan.seed)
    await copy_rows(conn, side)
    for name, batch in side.items():
        counts[name] += len(batch)
    return LoadStats(dict(counts), time.perf_counter() - t0, counts["audit_heads"])


async def _generated(world: World, plan: LoadPlan, start: int) -> Rows:
    return await asyncio.to_thread(
        generate, world, plan, start, min(plan.cases, start + plan.batch)
    )
