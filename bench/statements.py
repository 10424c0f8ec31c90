"""SQL statements per case, by the part of the process that sent them.

    .venv/bin/python -m bench.statements [--cases 50] [--matter IND-CONSTRUCTION] [--postgres]

Runs `lianban serve`'s parts (worker, consumers, relay, sweeper, API) in this process against
the embedded stack, drives `--cases` cases over Kafka as `bench.throughput` does, and counts
every statement the engine sends meanwhile (the engine hook of `bench.scale_explain`),
attributed to the part whose task sent it. CPU and time are not measured here (the driver
shares the process): `bench.throughput` measures those.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import os
import re
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from bench.harness import bench_stack
from domain.catalog import load_catalog
from entrypoints import consumers, runner
from entrypoints.devstack.postgres import postgres_database
from entrypoints.devstack.stack import free_port
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings

_PART: contextvars.ContextVar[str] = contextvars.ContextVar("bench_part", default="other")


def _labelled(name: str, run: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    """`run` with every statement it (and every task it starts) sends counted as `name`'s."""

    async def labelled(*args: Any, **kwargs: Any) -> Any:
        _PART.set(name if name != "consumer" else f"consumer {args[0].role}")
        return await run(*args, **kwargs)

    return labelled


@contextmanager
def _parts_labelled() -> Iterator[None]:
    """The runner's parts wrapped so their statements are counted as theirs; put back after
    (the smoke test runs this in the test session's process)."""
    # A benchmark's own wrapping of the runner's parts (setattr: mypy checks no signatures).
    names = {"_run_worker": "worker", "_run_relay": "relay", "run_sweeper": "sweeper"}
    names["_run_api"] = "api"
    kept = {name: getattr(runner, name) for name in names}
    serve = consumers.EventConsumer.serve
    for name, part in names.items():
        setattr(runner, name, _labelled(part, kept[name]))
    consumers.EventConsumer.serve = _labelled("consumer", serve)  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        for name, run in kept.items():
            setattr(runner, name, run)
        consumers.EventConsumer.serve = serve  # type: ignore[method-assign]


@contextmanager
def counted(deps: Deps) -> Iterator[list[tuple[str, str]]]:
    """Every (part, statement) the engine sends while inside (`bench.scale_explain`'s hook)."""
    seen: list[tuple[str, str]] = []

    def grab(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        seen.append((_PART.get(), statement))

    sa.event.listen(deps.engine.sync_engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        sa.event.remove(deps.engine.sync_engine, "before_cursor_execute", grab)


_TABLE = re.compile(r"\b(?:FROM|INTO|UPDATE)\s+\"?(\w+)", re.IGNORECASE)


def _kind(statement: str) -> str:
    verb = statement.lstrip().split(None, 1)[0].upper()
    table = _TABLE.search(statement)
    return f"{verb} {table.group(1) if table else ''}".strip()


async def main(n: int, matter_code: str, database_url: str | None) -> None:
    with _parts_labelled():
        parts, kinds = await _count(n, matter_code, database_url)
    _report(n, matter_code, database_url, parts, kinds)


async def _count(
    n: int, matter_code: str, database_url: str | None
) -> tuple[Counter[str], Counter[tuple[str, str]]]:
    matter = load_catalog().matter(matter_code)
    assert matter is not None, f"unknown matter {matter_code}"
    async with bench_stack(database_url) as bench:
        env = bench.env
        settings = Settings(
            database_url=env["LIANBAN_DATABASE_URL"],
            temporal_address=env["LIANBAN_TEMPORAL_ADDRESS"],
            kafka_bootstrap=env["LIANBAN_KAFKA_BOOTSTRAP"],
            topic_prefix=env["LIANBAN_TOPIC_PREFIX"],
            task_queue=env["LIANBAN_TASK_QUEUE"],
            consumer_group=env["LIANBAN_CONSUMER_GROUP"],
            api_port=free_port(),
            allow_dev_key=True,
            worker_metrics_port=0,
            consumers_metrics_port=0,
            relay_metrics_port=0,
        )
        deps = await bootstrap(settings)
        stop = asyncio.Event()
        running = runner.Running()
        task = asyncio.create_task(runner.serve(deps, stop, runner.Parts(), running))
        try:
            await running.started.wait()
            for c in running.consumers:
                await c.assigned.wait()
            driver = bench.driver(matter)
            await driver.run(2)  # warm-up: consumer group joins, first workflow tasks
            parts: Counter[str] = Counter()
            kinds: Counter[tuple[str, str]] = Counter()
            with counted(deps) as seen_with_part:
                await driver.run(n)
            for part, statement in seen_with_part:
                parts[part] += 1
                kinds[(part, _kind(statement))] += 1
        finally:
            stop.set()
            await task
            await deps.close()
    return parts, kinds


def _report(
    n: int,
    matter_code: str,
    database_url: str | None,
    parts: Counter[str],
    kinds: Counter[tuple[str, str]],
) -> None:
    backend = "PostgreSQL" if database_url else "SQLite"
    print(f"cases: {n} x {matter_code}, {backend}; load {os.getloadavg()}")
    print(f"statements per case: {sum(parts.values()) / n:.1f}")
    for part, count in parts.most_common():
        print(f"  {part:22} {count / n:6.1f}")
        for (p, kind), k in sorted(kinds.items(), key=lambda kv: -kv[1]):
            if p == part:
                print(f"      {kind:34} {k / n:6.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", type=int, default=50)
    parser.add_argument("--matter", default="IND-CONSTRUCTION")
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()

    async def _run() -> None:
        if args.postgres:
            async with postgres_database() as url:
                await main(args.cases, args.matter, url)
        else:
            await main(args.cases, args.matter, None)

    asyncio.run(_run())
