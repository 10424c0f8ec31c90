"""The per-event write path alone: case log + audit chain + outbox, as the activities write it.

    .venv/bin/python -m bench.writepath [--cases 300] [--postgres]

One case's events the way a construction case (5 departments) writes them: acceptance, the five
review tasks in one transaction, five decisions one transaction each, conclusion and licence.
No Temporal, no Kafka: CPU of this process (every thread) per case, so a change to the write
path can be measured in seconds before the whole `bench.throughput` run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

from events.contracts import (
    CaseAccepted,
    CaseConcluded,
    CaseOutcome,
    DecisionOutcome,
    DepartmentDecided,
    LicenceIssued,
    Payload,
    ReviewTaskAssigned,
)
from events.registry import make_envelope
from store.db import make_engine, make_sessionmaker
from store.migrate import upgrade
from store.records import publish_all, step_event_id

DEPARTMENTS = ["planning", "fire", "environment", "housing", "transport"]
TOPIC = "lianban.case-events"


def _case_steps(case_id: str) -> list[list[tuple[str, Payload]]]:
    """One case's transactions, each a list of (step, payload)."""
    accepted = CaseAccepted(
        matter_code="IND-CONSTRUCTION",
        tolerant=False,
        missing_materials=[],
        departments=DEPARTMENTS,
        statutory_due=date(2026, 12, 31),
        promised_due=date(2026, 12, 20),
        provisional=False,
        accepted_on=date(2026, 11, 2),
        deemed=False,
    )
    tasks: list[tuple[str, Payload]] = [
        (
            f"task/{d}",
            ReviewTaskAssigned(
                task_id=f"{case_id}.{d}",
                department=d,
                matter_code="IND-CONSTRUCTION",
                title="厂房新建工程",
                checks=["规划条件核实", "总平面图审查"],
                materials=[],
                due_date=date(2026, 12, 10),
            ),
        )
        for d in DEPARTMENTS
    ]
    decided: list[list[tuple[str, Payload]]] = [
        [
            (
                f"decided/{d}",
                DepartmentDecided(
                    department=d,
                    outcome=DecisionOutcome.approve,
                    reasons=[],
                    conditions=["按图施工"],
                    reviewer="王工",
                    decision_event_id=str(uuid.uuid4()),
                ),
            )
        ]
        for d in DEPARTMENTS
    ]
    concluded = CaseConcluded(outcome=CaseOutcome.granted, reasons=[], conditions=["按图施工"])
    issued = LicenceIssued(
        licence_number=f"XK-{case_id}", issued_at=datetime(2026, 12, 1, tzinfo=UTC)
    )
    return [
        [("accepted", accepted)],
        tasks,
        *decided,
        [("concluded", concluded), ("issued", issued)],
    ]


@contextlib.asynccontextmanager
async def _database(postgres: bool) -> AsyncIterator[str]:
    if postgres:
        from entrypoints.devstack.postgres import postgres_database

        async with postgres_database() as url:
            yield url
        return
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite+aiosqlite:///{Path(tmp) / 'write.db'}"


async def main(n: int, postgres: bool) -> None:
    async with _database(postgres) as url:
        engine = make_engine(url)
        await upgrade(engine)
        sessions = make_sessionmaker(engine)
        plans = [(f"WP{i:06d}", _case_steps(f"WP{i:06d}")) for i in range(n)]
        cpu, wall = time.process_time(), time.perf_counter()
        for case_id, transactions in plans:
            for steps in transactions:
                envelopes = [
                    make_envelope(
                        p,
                        case_id=case_id,
                        producer="bench",
                        event_id=step_event_id(case_id, step),
                    )
                    for step, p in steps
                ]
                async with sessions() as s, s.begin():
                    await publish_all(s, [(e, TOPIC) for e in envelopes])
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        await engine.dispose()
    db = "PostgreSQL" if postgres else "SQLite"
    print(
        f"{n} cases x 13 events on {db}: {1000 * cpu / n:.1f} ms CPU/case "
        f"({1000 * wall / n:.1f} ms wall/case)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.cases, args.postgres))
