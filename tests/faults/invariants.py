"""One checker for every scenario: what must hold after any fault, once the system recovered."""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from temporalio.client import WorkflowExecutionStatus

from services.auditors.verify import verify_all
from store.outbox import WAITING_SINCE
from store.schema import case_events, cases, decisions, outbox
from tests.faults.driver import Driver
from tests.utils.eventually import eventually

STALE = timedelta(seconds=10)


@dataclass
class Verdict:
    scenario: str
    cases: int
    lost: int = 0
    doubled: int = 0
    recovery_s: float = 0.0
    problems: list[str] = field(default_factory=list)

    def row(self) -> str:
        return (
            f"| {self.scenario} | {self.cases} | {self.lost} | {self.doubled} | "
            f"{self.recovery_s:.1f} s |"
        )


async def _counts(
    driver: Driver, case_ids: list[str]
) -> tuple[Counter[str], Counter[tuple[str, str]], Counter[str]]:
    async with driver.cluster.deps.sessions() as s:
        rows = await s.execute(
            sa.select(case_events.c.case_id, case_events.c.event_type, case_events.c.data).where(
                case_events.c.case_id.in_(case_ids),
                case_events.c.event_type.in_(["ApplicationSubmitted", "DepartmentDecided"]),
            )
        )
        submitted: Counter[str] = Counter()
        decided: Counter[tuple[str, str]] = Counter()
        for r in rows:
            if r.event_type == "ApplicationSubmitted":
                submitted[r.case_id] += 1
            else:
                decided[(r.case_id, str(r.data["department"]))] += 1
        made = Counter(
            r.case_id
            for r in await s.execute(
                sa.select(cases.c.case_id).where(cases.c.case_id.in_(case_ids))
            )
        )
    return submitted, decided, made


async def _decision_ids(driver: Driver, case_ids: list[str]) -> dict[tuple[str, str], str]:
    async with driver.cluster.deps.sessions() as s:
        rows = await s.execute(
            sa.select(decisions.c.case_id, decisions.c.department, decisions.c.event_id).where(
                decisions.c.case_id.in_(case_ids)
            )
        )
    return {(r.case_id, r.department): r.event_id for r in rows}


async def _workflows_closed(driver: Driver, case_ids: list[str], wait: float = 60) -> list[str]:
    """Every case's workflow completed. Waited for: the read model shows a case final when its
    last activity committed, a moment before the workflow's own last task runs (longer on a
    loaded machine)."""
    client = driver.cluster.deps.temporal
    assert client is not None

    async def still_open() -> list[str]:
        bad = []
        for case_id in case_ids:
            desc = await client.get_workflow_handle(case_id).describe()
            if desc.status != WorkflowExecutionStatus.COMPLETED:
                bad.append(f"{case_id}: workflow {desc.status.name if desc.status else '?'}")
        return bad

    with contextlib.suppress(AssertionError):  # what is still open is reported below
        await eventually(still_open, until=lambda bad: not bad, timeout=wait, every=0.5)
    return await still_open()


async def _stale_outbox(driver: Driver) -> list[str]:
    """Rows still unsent STALE after they were written or queued again (a re-sent decision
    queues its acknowledgement again: waiting since then, not since it was first written)."""

    async def stale() -> list[str]:
        cutoff = datetime.now(UTC) - STALE
        async with driver.cluster.deps.sessions() as s:
            rows = await s.execute(
                sa.select(outbox.c.id, outbox.c.key, outbox.c.parked_at).where(
                    outbox.c.sent_at.is_(None),
                    WAITING_SINCE < cutoff,  # noqa: SIM300
                )
            )
        return [
            f"outbox row {r.id} ({r.key}) unsent{' (parked)' if r.parked_at else ''}" for r in rows
        ]

    # A relay a few rows behind catches up; one that never does is the problem.
    with contextlib.suppress(AssertionError):
        await eventually(stale, until=lambda bad: not bad, timeout=30, every=0.5)
    return await stale()


async def check(driver: Driver, scenario: str, case_ids: list[str], recovery_s: float) -> Verdict:
    """Every accepted submission is one case; every acknowledged decision applied once; every
    case closed in Temporal; the audit record verifies; nothing old left in the outbox."""
    v = Verdict(scenario, len(case_ids), recovery_s=recovery_s)
    submitted, decided, made = await _counts(driver, case_ids)
    for case_id in case_ids:
        if made[case_id] != 1 or submitted[case_id] == 0:
            v.lost += 1
            v.problems.append(f"{case_id}: submission not applied")
        elif submitted[case_id] > 1:
            v.doubled += 1
            v.problems.append(f"{case_id}: {submitted[case_id]} ApplicationSubmitted")
    recorded = await _decision_ids(driver, case_ids)
    for key, sent in driver.decisions.items():
        if key[0] not in case_ids:
            continue
        if decided[key] == 0 or recorded.get(key) != sent.doc["event_id"]:
            v.lost += 1
            v.problems.append(f"{key}: decision {sent.doc['event_id']} not applied")
        elif decided[key] > 1:
            v.doubled += 1
            v.problems.append(f"{key}: {decided[key]} DepartmentDecided")
    v.problems += await _workflows_closed(driver, case_ids)
    v.problems += await _stale_outbox(driver)
    report = await verify_all(driver.cluster.deps)
    v.problems += [f"audit: {f.case_id} {f.check} {f.detail}" for f in report.failures]
    return v
