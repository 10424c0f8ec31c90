"""An acknowledged decision must reach its case even when nothing will ever send it again.

Temporal freezes (SIGSTOP) while departments decide: each decision the consumer takes is
recorded, its `DepartmentDecided` committed (the department's acknowledgement: it stops
re-sending) and its case not told. Then the whole embedded stack is killed: every Lianban
process, Temporal, and the broker, which comes back empty (the record is gone). Nothing outside
Lianban will ever bring those decisions again: the decisions table's delivery state must.
While they wait, `ops stalled` and `audit verify` must list each of them ("decision recorded,
never delivered"); after the restart every case concludes, and the invariants hold.
"""

from __future__ import annotations

import signal
import time

import pytest
import sqlalchemy as sa

from services.auditors.verify import verify_all
from services.operators.stalled import find_stalled
from services.operators.stalled_model import StalledFilter
from store.schema import decisions, tasks
from tests.faults.cluster import PARTS, FaultCluster
from tests.faults.conftest import RESULTS
from tests.faults.driver import Driver
from tests.faults.invariants import check
from tests.utils.eventually import eventually

pytestmark = [pytest.mark.faults, pytest.mark.timeout(400)]
CASES = 4


async def _all_tasks_open(driver: Driver, ids: list[str]) -> bool:
    async with driver.cluster.deps.sessions() as s:
        rows = await s.execute(
            sa.select(sa.func.count()).where(tasks.c.case_id.in_(ids), tasks.c.status == "open")
        )
        return int(rows.scalar_one()) == 2 * len(ids)  # two departments review each case


async def _undelivered(driver: Driver, ids: list[str]) -> set[tuple[str, str]]:
    """What the database says was recorded and is not known to have reached its case."""
    async with driver.cluster.deps.sessions() as s:
        rows = await s.execute(
            sa.select(decisions.c.case_id, decisions.c.department).where(
                decisions.c.case_id.in_(ids), decisions.c.delivered_at.is_(None)
            )
        )
    return {(r.case_id, r.department) for r in rows}


async def _listed(driver: Driver) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """The undelivered decisions `ops stalled` lists, and those `audit verify --all` reports."""
    deps = driver.cluster.deps
    stalled = await find_stalled(deps, StalledFilter(reason="decision_undelivered"), live=False)
    report = await verify_all(deps)
    found = [f for f in report.failures if f.check == "delivery"]
    assert all("never delivered" in f.detail for f in found), found
    return (
        {(i.case_id, str(i.department)) for i in stalled},
        {(str(f.case_id), f.detail.split(":", 1)[0]) for f in found},
    )


async def _acknowledged(driver: Driver, ids: list[str]) -> set[tuple[str, str]]:
    _, acked = await driver._known(ids)
    return {key for key, sent in driver.decisions.items() if sent.doc["event_id"] in acked}


async def _kill_everything(cluster: FaultCluster, *, temporal: bool = True) -> None:
    """SIGKILL every part (and Temporal), restart the broker empty, start one of each part."""
    for name in list(cluster.parts):
        cluster.kill(name, signal.SIGKILL)
    if temporal:
        await cluster.stack.stop_temporal(kill=True)  # SIGKILL reaches a stopped process too
    await cluster.stack.restart_broker(kill=True)  # empty: the decisions' records are gone
    if temporal:
        await cluster.stack.start_temporal()
    for name in PARTS:
        cluster.start(name)


async def test_acknowledged_decisions_reach_their_cases_after_the_stack_died(
    cluster: FaultCluster, driver: Driver
) -> None:
    # From a clean slate, whatever the scenarios before left: one of each part, and a broker
    # whose consumer groups hold no member a previous scenario killed.
    await _kill_everything(cluster, temporal=False)
    await cluster.api_ready()
    driver.hold = True
    ids = await driver.submit(CASES, "UNDELIVERED")

    async def opened() -> bool:
        await driver.step(ids)  # the portal re-sends what the new broker may have dropped
        return await _all_tasks_open(driver, ids)

    await eventually(opened, timeout=120, every=0.2, what="every task open")
    cluster.stack.freeze_temporal()
    since = time.monotonic()
    try:
        driver.hold = False

        async def acknowledged() -> set[tuple[str, str]]:
            await driver.step(ids)
            return await _acknowledged(driver, ids)

        # Recorded, acknowledged, not delivered: the signals are tried again in the background.
        acked = await eventually(
            acknowledged, until=bool, timeout=60, every=0.2, what="an acknowledgement"
        )
        waiting = await _undelivered(driver, ids)
        assert acked <= waiting, (acked, waiting)

        # Nothing stalled goes unlisted: once past the alarm, every undelivered decision is in
        # `ops stalled` and fails `audit verify --all`.
        async def listed() -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
            return await _listed(driver)

        stalled, verified = await eventually(
            listed,
            until=lambda got: waiting <= got[0] and waiting <= got[1],
            timeout=30,
            every=0.5,
            what="the undelivered decisions listed",
        )
        assert stalled == verified == await _undelivered(driver, ids)
    finally:
        await _kill_everything(cluster)
    # Only the decisions not acknowledged are re-sent; the acknowledged ones are never sent
    # again, and still every case concludes.
    await driver.until_final(ids, timeout=180)
    verdict = await check(
        driver, "Temporal frozen, decisions acknowledged, whole stack killed", ids, 0.0
    )
    verdict.recovery_s = time.monotonic() - since
    RESULTS.append(verdict)
    assert verdict.problems == [] and verdict.lost == 0 and verdict.doubled == 0, verdict.problems
    assert await _undelivered(driver, ids) == set()
    assert await _listed(driver) == (set(), set())
