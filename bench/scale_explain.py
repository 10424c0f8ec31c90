"""EXPLAIN ANALYZE of every statement one scale-benchmark call runs, against a kept database.

    .venv/bin/python -m bench.scale --keep          # prints the database URL it kept
    .venv/bin/python -m bench.scale_explain postgresql+asyncpg://…/lianban_scale_… [--min-ms 5]

Captures the SQL each service call of `bench.scale_measure.service_probes` sends (statement and
parameters, as the driver saw them), replays each under EXPLAIN (ANALYZE, BUFFERS) and prints
the plans of those slower than `--min-ms`. The audit anchor file is not kept with the database,
so verify's anchor-file finding is expected here; its queries are the same.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from bench.scale import LONG_CASE
from bench.scale_measure import service_probes
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings


@contextmanager
def captured(deps: Deps) -> Iterator[list[tuple[str, Any]]]:
    """Every (statement, parameters) the engine sends while inside."""
    seen: list[tuple[str, Any]] = []

    def grab(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    sa.event.listen(deps.engine.sync_engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        sa.event.remove(deps.engine.sync_engine, "before_cursor_execute", grab)


async def explain(deps: Deps, statement: str, params: Any) -> tuple[float, str]:
    async with deps.engine.connect() as conn:
        t0 = time.perf_counter()
        rows = await conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
        plan = "\n".join(str(r[0]) for r in rows)
    return (time.perf_counter() - t0) * 1000, plan


async def main(url: str, min_ms: float) -> None:
    deps = await bootstrap(Settings(database_url=url), temporal=False, migrate=True)
    try:
        for probe in service_probes(deps, LONG_CASE):
            # verify's anchor-file finding is expected: the file went with the run.
            with captured(deps) as seen, contextlib.suppress(AssertionError):
                await probe.call()
            print(f"\n===== {probe.name}: {len(seen)} statements")
            for statement, params in seen:
                if not statement.lstrip().upper().startswith("SELECT"):
                    continue
                ms, plan = await explain(deps, statement, params)
                if ms >= min_ms:
                    print(f"\n--- {ms:.1f} ms\n{statement}\n{plan}")
    finally:
        await deps.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("url")
    parser.add_argument("--min-ms", type=float, default=5.0)
    args = parser.parse_args()
    asyncio.run(main(args.url, args.min_ms))
