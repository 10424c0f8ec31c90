"""The materials library at scale: look-ups among 100,000 applicants in PostgreSQL.

    .venv/bin/python -m bench.library [--applicants 100000] [--runs 2000]

Creates a throwaway database on 127.0.0.1:5432 (trust auth), migrates it, COPYs a library of
`--applicants` enterprises with four entries each (application form, business licence,
premises lease, food business licence: 400,000 rows at the default) keyed by the real keyed
hash (`store.library.applicant_key`, a test keyring), then times, in-process, what intake and
the window run for one applicant chosen at random each time:

- intake's look-up (`services.window.reuse.take_from_library`): the hashes of the applicant's
  ID under every loaded key, the named entries by id and the applicant's reusable entries,
  the rules applied (target p99 <= 20 ms);
- the window's search (`services.window.library.entries_of`): every entry of the applicant.

Prints p50 / p99 / max in ms and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import statistics
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import asyncpg

from domain.library import library_id_for
from entrypoints.devstack.postgres import postgres_database
from events.contracts import ApplicationSubmitted
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings
from services.window.library import entries_of
from services.window.reuse import take_from_library
from store.library import applicant_key, applicant_keys

CODES = ("application-form", "business-licence", "premises-lease", "food-business-licence")
KEYS = {"bench": base64.b64encode(b"b" * 32).decode(), "old": base64.b64encode(b"o" * 32).decode()}


def credit_code(i: int) -> str:
    return f"91310115MA{i:08d}"


def _rows(deps: Deps, first: int, count: int) -> list[tuple[object, ...]]:
    today, now = date.today(), datetime.now(UTC)
    rows: list[tuple[object, ...]] = []
    for i in range(first, first + count):
        kid, key = applicant_key(deps.keyring, credit_code(i)) or ("", "")
        case = f"LB-BENCH-{i:08d}"
        for code in CODES:
            licence = code == "food-business-licence"
            rows.append((
                library_id_for(f"{case}/{code}"), key, kid, code, code,
                "licence" if licence else "material", "a" * 64, f"oss://bench/{case}/{code}",
                case, "center" if licence else "samr", today - timedelta(days=i % 700),
                today + timedelta(days=365) if licence else None, "valid",
                f"XK-{case}" if licence else None, now,
            ))  # fmt: skip
    return rows


COLUMNS = [
    "library_id", "applicant_key", "applicant_key_kid", "code", "name", "kind", "sha256", "ref",
    "case_id", "department", "checked_on", "valid_until", "status", "licence_number",
    "created_at",
]  # fmt: skip


async def load(deps: Deps, url: str, applicants: int) -> float:
    """COPY the library in batches; returns the seconds it took."""
    started = time.perf_counter()
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        for first in range(0, applicants, 20_000):
            rows = _rows(deps, first, min(20_000, applicants - first))
            await conn.copy_records_to_table("library_entries", records=rows, columns=COLUMNS)
        await conn.execute("ANALYZE library_entries")
    finally:
        await conn.close()
    return time.perf_counter() - started


def _submission(i: int) -> ApplicationSubmitted:
    named = library_id_for(f"LB-BENCH-{i:08d}/business-licence")
    return ApplicationSubmitted.model_validate(
        {
            "matter_code": "CATERING-OPENING",
            "title": "bench",
            "applicant": {"kind": "enterprise", "name": "bench", "id_number": credit_code(i)},
            "materials": [
                {"code": "floor-plan", "ref": "oss://x"},
                {"code": "business-licence", "library_id": named},
            ],
        }
    )


async def explain(deps: Deps, url: str) -> None:
    """The plan of intake's query for one applicant (two index ranges, OR-ed)."""
    keys = sorted(applicant_keys(deps.keyring, credit_code(7)))
    named = library_id_for("LB-BENCH-00000007/business-licence")
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        plan = await conn.fetch(
            "EXPLAIN ANALYZE SELECT * FROM library_entries WHERE library_id = ANY($1) OR "
            "(applicant_key = ANY($2) AND code = ANY($3))",
            [named], keys, ["business-licence", "food-business-licence"],
        )  # fmt: skip
    finally:
        await conn.close()
    print("\n".join(r[0] for r in plan))


async def timed(
    runs: int, call: Callable[[int], Awaitable[object]], applicants: int
) -> tuple[list[float], float]:
    """Wall-clock ms of each call, and this process's CPU ms per call (the rest of the wall
    time is the database and, on a busy machine, waiting for a core)."""
    out = []
    cpu = time.process_time()
    for _ in range(runs):
        i = random.randrange(applicants)
        started = time.perf_counter()
        await call(i)
        out.append((time.perf_counter() - started) * 1000)
    return out, (time.process_time() - cpu) * 1000 / runs


def report(name: str, measured: tuple[list[float], float]) -> str:
    ms, cpu = sorted(measured[0]), measured[1]
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return (
        f"{name}: p50 {statistics.median(ms):.2f} ms, p99 {p99:.2f} ms, max {ms[-1]:.2f} ms; "
        f"client CPU {cpu:.2f} ms per look-up"
    )


async def main(applicants: int, runs: int) -> None:
    async with postgres_database() as url:
        settings = Settings(database_url=url, payload_keys=KEYS, payload_kid="bench")
        deps = await bootstrap(settings, temporal=False, migrate=True)
        try:
            seconds = await load(deps, url, applicants)
            print(f"loaded {applicants * len(CODES):,} entries of {applicants:,} applicants "
                  f"in {seconds:.1f} s")  # fmt: skip

            async def intake(i: int) -> object:
                async with deps.sessions() as s:
                    materials, reused = await take_from_library(s, deps, _submission(i))
                assert len(reused) == 2, reused  # named business licence + filled licence
                return materials

            async def search(i: int) -> object:
                found = await entries_of(deps, credit_code(i))
                assert len(found) == len(CODES)
                return found

            await explain(deps, url)
            await timed(50, intake, applicants)  # warm the pool and the caches
            print(
                report("intake look-up (take_from_library)", await timed(runs, intake, applicants))
            )
            print(report("window search (entries_of)", await timed(runs, search, applicants)))
            print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        finally:
            await deps.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applicants", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run(main(args.applicants, args.runs))
