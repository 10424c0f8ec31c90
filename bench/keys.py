"""A signed decision's signature check: time and SQL statements, with and without the key cache.

    .venv/bin/python -m bench.keys [--checks 2000] [--postgres]

Times `services.departments.signatures.check_signature` on one decision signed with a
registered department key (the consumers' path), as it is now (the process's key cache,
`infra.department_keys`) and as it was before the cache (a session and one query for the key
each time, then the same verification), alternating the two in rounds so that the machine's
load touches both alike; prints the median and p99 µs per check, the SQL statements per check
(counted at the engine), and the CPU of this process per check. SQLite in a temporary file by
default; `--postgres` uses a throwaway database on 127.0.0.1:5432.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from bench.harness import event
from domain.signatures import read_headers, verifies
from entrypoints.devstack.postgres import postgres_database
from events.registry import Decoded, decode
from examples.department_client import Signer
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings
from services.departments.signatures import check_signature
from services.operators.department_keys import register
from store.department_keys import get_key

ROUNDS = 10


@contextlib.asynccontextmanager
async def database(postgres: bool) -> AsyncIterator[str]:
    if postgres:
        async with postgres_database() as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite+aiosqlite:///{Path(tmp) / 'keys.db'}"


async def signed_decision(deps: Deps) -> Decoded:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    await register(deps, "fire", "bench-fire", base64.b64encode(public).decode(), "bench")
    data = {"department": "fire", "outcome": "approve", "reviewer": "fire-1"}
    raw = event("DecisionMade", "LB-2026-000001", data)
    ev = decode(raw)
    headers = tuple(Signer("bench-fire", key).headers(raw))
    return Decoded(ev.envelope, ev.payload, record=raw, headers=headers)


async def before_the_cache(deps: Deps, ev: Decoded, department: str) -> None:
    """The check as it was (commit d92690b): the key read from the database every time."""
    found = read_headers(ev.headers)
    assert found is not None and ev.record is not None
    async with deps.sessions() as s:
        key = await get_key(s, found.key_id)
    assert key is not None and key["revoked_at"] is None and key["department"] == department
    assert verifies(base64.b64decode(key["public_key"]), ev.record, found.signature)


Check = Callable[[Deps, Decoded, str], Awaitable[object]]


async def timed(deps: Deps, ev: Decoded, check: Check, n: int) -> tuple[list[float], float]:
    """Each check's wall µs, and the process's CPU µs per check."""
    took: list[float] = []
    cpu0 = time.process_time()
    for _ in range(n):
        t0 = time.perf_counter()
        await check(deps, ev, "fire")
        took.append((time.perf_counter() - t0) * 1e6)
    return took, (time.process_time() - cpu0) * 1e6 / n


def statements_of(deps: Deps) -> tuple[list[Any], Callable[[], None]]:
    seen: list[Any] = []

    def grab(*args: Any) -> None:
        seen.append(args[2])

    sa.event.listen(deps.engine.sync_engine, "before_cursor_execute", grab)
    return seen, lambda: sa.event.remove(deps.engine.sync_engine, "before_cursor_execute", grab)


async def run(postgres: bool, checks: int) -> dict[str, Any]:
    async with database(postgres) as url:
        deps = await bootstrap(Settings(database_url=url), temporal=False, migrate=True)
        try:
            ev = await signed_decision(deps)
            ways: dict[str, Check] = {"before": before_the_cache, "cached": check_signature}
            for check in ways.values():  # warm up: the cache, the pool, the statement caches
                await timed(deps, ev, check, 50)
            if postgres:  # the cache trusts notifications once its listener is up
                async with asyncio.timeout(10):
                    while not deps.department_keys.listening():
                        await asyncio.sleep(0.05)
            wall: dict[str, list[float]] = {w: [] for w in ways}
            cpu: dict[str, list[float]] = {w: [] for w in ways}
            statements: dict[str, int] = {}
            seen, stop = statements_of(deps)
            for _ in range(ROUNDS):
                for name, check in ways.items():
                    seen.clear()
                    took, cpu_each = await timed(deps, ev, check, checks // ROUNDS)
                    wall[name] += took
                    cpu[name].append(cpu_each)
                    statements[name] = statements.get(name, 0) + len(seen)
            stop()
            return {
                name: {
                    "p50_us": round(statistics.median(wall[name]), 1),
                    "p99_us": round(statistics.quantiles(wall[name], n=100)[98], 1),
                    "cpu_us": round(statistics.median(cpu[name]), 1),
                    "statements_per_check": round(statements[name] / checks, 4),
                }
                for name in ways
            }
        finally:
            await deps.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--checks", type=int, default=2000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    load = Path("/proc/loadavg").read_text().split()[:3]
    result = asyncio.run(run(args.postgres, args.checks))
    backend = "postgresql" if args.postgres else "sqlite"
    after = Path("/proc/loadavg").read_text().split()[:3]
    print(json.dumps({"backend": backend, "checks": args.checks, **result}, indent=1))
    print(f"load average before {' '.join(load)} after {' '.join(after)}")


if __name__ == "__main__":
    main()
