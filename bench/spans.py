"""What keeping a case's spans in the database costs: CPU and statements per case.

    .venv/bin/python -m bench.spans [--cases 300] [--batch-cases 2] [--postgres]

The spans a construction case (5 departments) finishes — `start case`, `case`, `pre-review`,
`merge`, `issuance`, a `review` and a `decision` per department: 15, as a `bench.throughput`
run stores them — made by a real tracer with the step spans' attributes, then written the way
`lianban serve` writes them (`infra.tracing.span_row`, then `store.spans.store_spans` from the
span writer task, one transaction per batch; a batch holds the spans of `--batch-cases` cases:
the exporter sends every 500 ms, ~2 cases at 4 cases/s). CPU of this process per case and the
statements sent per case; no Temporal, no Kafka.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import date
from typing import Any

import sqlalchemy as sa
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from bench.writepath import DEPARTMENTS, _database
from infra.tracing import CASE_ATTR, span_row
from store.db import make_engine, make_sessionmaker
from store.migrate import upgrade
from store.spans import store_spans

STEPS = ["start case", "case", "pre-review", "merge", "issuance"]


def step_attributes(case_id: str) -> dict[str, Any]:
    """A step span's attributes (docs/operations.md, Tracing)."""
    return {
        CASE_ATTR: case_id,
        "lianban.statutory_limit_days": 45,
        "lianban.promised_limit_days": 15,
        "lianban.statutory_due": date(2026, 12, 31).isoformat(),
        "lianban.promised_due": date(2026, 12, 20).isoformat(),
        "lianban.elapsed_working_days": 3,
        "lianban.paused_working_days": 0,
        "lianban.overdue_promised": False,
        "lianban.overdue_statutory": False,
        "lianban.provisional": False,
    }


def case_spans(n: int) -> list[list[ReadableSpan]]:
    """`n` cases' finished spans, one list a case."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("bench")
    cases: list[list[ReadableSpan]] = []
    for i in range(n):
        case_id = f"SP{i:06d}"
        names = STEPS + [f"{kind} {d}" for d in DEPARTMENTS for kind in ("review", "decision")]
        for name in names:
            with tracer.start_as_current_span(name, attributes=step_attributes(case_id)):
                pass
        cases.append(list(exporter.get_finished_spans()))
        exporter.clear()
    return cases


async def main(n: int, batch_cases: int, postgres: bool) -> None:
    cases = case_spans(n)
    async with _database(postgres) as url:
        engine = make_engine(url)
        await upgrade(engine)
        sessions = make_sessionmaker(engine)
        statements = 0

        def count(*_: Any) -> None:
            nonlocal statements
            statements += 1

        sa.event.listen(engine.sync_engine, "before_cursor_execute", count)
        cpu, wall = time.process_time(), time.perf_counter()
        for first in range(0, n, batch_cases):
            batch = [s for spans in cases[first : first + batch_cases] for s in spans]
            await store_spans(sessions, [span_row(s) for s in batch])
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        sa.event.remove(engine.sync_engine, "before_cursor_execute", count)
        size = await table_size(engine) if postgres else None
        await engine.dispose()
    db = "PostgreSQL" if postgres else "SQLite"
    per_case = len(cases[0]) if cases else 0
    print(
        f"{n} cases x {per_case} spans on {db}, {batch_cases} case(s) a batch: "
        f"{1000 * cpu / n:.2f} ms CPU/case ({1000 * wall / n:.2f} ms wall/case), "
        f"{statements / n:.2f} statements/case"
        + (f", table and indexes {size / n / 1000:.1f} kB/case" if size is not None else "")
    )


async def table_size(engine: Any) -> int:
    """The spans table's size on disk with its indexes and TOAST, after VACUUM ANALYZE."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.exec_driver_sql("VACUUM ANALYZE spans")
        size = await conn.exec_driver_sql("SELECT pg_total_relation_size('spans')")
        return int(size.scalar_one())


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--batch-cases", type=int, default=2)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.batch_cases, args.postgres))
