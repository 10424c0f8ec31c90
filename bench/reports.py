"""SLA report latency over a large read model in PostgreSQL.

    .venv/bin/python -m bench.reports [--cases 100000] [--runs 5]

Creates a throwaway database on the test PostgreSQL server (127.0.0.1:5432, trust auth),
loads synthetic cases across 2026 with their department tasks (COPY), then times the whole
report (`services.leaders.reports.sla_report`: every SQL read plus the Python that builds the
rows) and
prints the median and the worst run. Target: ≤ 2 s for 100,000 cases.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import Any

import asyncpg

from domain.calendar import WorkingCalendar
from domain.calendar_source import load_builtin
from domain.case_clocks import CHINA
from domain.catalog import SHIPPED_CATALOG, Matter, load_catalog
from domain.report_model import ReportScope
from entrypoints.devstack.postgres import postgres_database
from infra.bootstrap import bootstrap
from infra.settings import Settings
from services.leaders.reports import sla_report

CASE_COLUMNS = [
    "case_id",
    "query_code",
    "matter_code",
    "title",
    "applicant_kind",
    "applicant_name",
    "channel",
    "materials",
    "status",
    "outcome",
    "reasons",
    "conditions",
    "missing_materials",
    "submitted_at",
    "accepted_at",
    "concluded_at",
    "statutory_due",
    "promised_due",
    "warning_level",
    "provisional",
    "paused",
    "extension_days",
    "clock",
    "updated_at",
]
TASK_COLUMNS = [
    "task_id",
    "case_id",
    "department",
    "status",
    "checks",
    "opinion_only",
    "reasons",
    "conditions",
    "assigned_at",
    "decided_at",
    "due_date",
    "last_activity_at",
]


def _instant(day: date, rng: random.Random) -> datetime:
    clock = dtime(rng.randint(8, 17), rng.randint(0, 59))
    return datetime.combine(day, clock, tzinfo=CHINA).astimezone(UTC)


def _case(i: int, matter: Matter, cal: WorkingCalendar, rng: random.Random) -> dict[str, Any]:
    submitted = cal.add_working_days(date(2026, 1, 5), rng.randint(0, 215))
    row: dict[str, Any] = dict.fromkeys(CASE_COLUMNS)
    row |= {
        "case_id": f"B-{i:07d}",
        "query_code": "000000",
        "matter_code": matter.code,
        "title": "bench",
        "applicant_kind": "enterprise",
        "applicant_name": "bench",
        "channel": "online" if rng.random() < 0.7 else "window",
        "materials": "[]",
        "reasons": "[]",
        "conditions": "[]",
        "missing_materials": "[]",
        "submitted_at": _instant(submitted, rng),
        "warning_level": "none",
        "provisional": False,
        "paused": False,
        "extension_days": 0,
        "clock": None,
        "status": "not_accepted",
        "updated_at": datetime.now(UTC),
    }
    if rng.random() < 0.05:
        return row
    paused = rng.choice([0] * 9 + [rng.randint(1, 10)])
    row |= {
        "accepted_at": row["submitted_at"],
        "status": "in_review",
        "promised_due": cal.add_working_days(submitted, matter.promised_days + paused),
        "statutory_due": cal.add_working_days(submitted, matter.statutory_days + paused),
        "clock": json.dumps({"paused_days": paused}),
    }
    if rng.random() < 0.85:
        end = cal.add_working_days(submitted, rng.randint(0, matter.promised_days + 8) + paused)
        row |= {
            "status": "issued",
            "outcome": "granted" if rng.random() < 0.9 else "refused",
            "concluded_at": _instant(end, rng),
        }
    return row


def _tasks(case: dict[str, Any], matter: Matter, rng: random.Random) -> list[tuple[Any, ...]]:
    if case["accepted_at"] is None:
        return []
    out = []
    for d in matter.departments:
        decided = case["concluded_at"] or (case["accepted_at"] if rng.random() < 0.5 else None)
        row = {
            "task_id": f"{case['case_id']}.{d.code}",
            "case_id": case["case_id"],
            "department": d.code,
            "status": "decided" if decided else "open",
            "checks": "[]",
            "opinion_only": d.opinion_only,
            "reasons": "[]",
            "conditions": "[]",
            "assigned_at": case["accepted_at"],
            "decided_at": decided,
            "due_date": case["promised_due"],
            "last_activity_at": case["accepted_at"],
        }
        out.append(tuple(row[c] for c in TASK_COLUMNS))
    return out


async def load(dsn: str, n: int) -> None:
    rng = random.Random(7)
    cal = WorkingCalendar(load_builtin())
    matters = load_catalog(SHIPPED_CATALOG).matters
    cases, tasks = [], []
    for i in range(n):
        matter = rng.choice(matters)
        case = _case(i, matter, cal, rng)
        cases.append(tuple(case[c] for c in CASE_COLUMNS))
        tasks += _tasks(case, matter, rng)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.copy_records_to_table("cases", records=cases, columns=CASE_COLUMNS)
        await conn.copy_records_to_table("tasks", records=tasks, columns=TASK_COLUMNS)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    print(f"loaded {len(cases)} cases, {len(tasks)} tasks")


async def main(n: int, runs: int) -> None:
    async with postgres_database() as url:
        deps = await bootstrap(Settings(database_url=url), temporal=False, migrate=True)
        try:
            await load(url.replace("postgresql+asyncpg", "postgresql"), n)
            timings = []
            for _ in range(runs):
                t0 = time.perf_counter()
                report = await sla_report(deps, ReportScope(today=date(2026, 11, 20)))
                timings.append(time.perf_counter() - t0)
            assert report.total is not None
            print(f"total: {report.total.cases} cases, on time {report.total.on_time_rate:.1%}")
            print(
                f"sla_report: median {statistics.median(timings):.3f} s, worst {max(timings):.3f} s"
            )
        finally:
            await deps.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.runs))
