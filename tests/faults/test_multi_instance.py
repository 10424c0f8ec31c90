"""Two of every part at once, on PostgreSQL: two workers, two consumer processes, two relays and
two API processes, each a separate OS process. 200 cases come in through both APIs and over
Kafka, decisions through both APIs and over Kafka; one instance of each kind is killed with
SIGKILL mid-run. Then the fault suite's invariants (each case once, each decision once, every
workflow closed, audit verify green, nothing left unsent) and each case's event order on the
case-events topic."""

from __future__ import annotations

import json
import signal
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer

from entrypoints.devstack.stack import free_port
from infra.tokens import mint
from store.schema import outbox
from tests.faults.cluster import PARTS, FaultCluster
from tests.faults.conftest import RESULTS
from tests.faults.driver import FINAL, MATERIALS, MATTER, Driver, Sent
from tests.faults.invariants import check

pytestmark = [pytest.mark.faults, pytest.mark.timeout(600)]
CASES = 200


@dataclass
class TwoApis(Driver):
    """The departments decide every other case in the inbox (through either API), the rest
    over Kafka; the clerks submit half the cases at the windows (either API)."""

    apis: list[str] = field(default_factory=list)
    by_api: set[str] = field(default_factory=set)  # the cases decided through the API
    turn: int = 0

    def _next_api(self) -> str:
        self.turn += 1
        return self.apis[self.turn % len(self.apis)]

    async def _post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
        """Through one API, then the other: a killed instance answers nothing."""
        for _ in range(len(self.apis) * 3):
            try:
                async with httpx.AsyncClient(base_url=self._next_api(), timeout=20) as http:
                    r = await http.post(path, json=body, headers=headers)
            except httpx.HTTPError:
                continue
            assert r.status_code == 202, r.text
            return r.json()
        return None

    async def submit_at_window(self, prefix: str) -> str | None:
        headers = {
            "Authorization": f"Bearer {mint(self.cluster.settings, 'clerk', name='窗口 李')}",
            "Idempotency-Key": uuid.uuid4().hex,  # the same on a retry through the other API
        }
        body = {
            "matter_code": MATTER,
            "title": "户外广告牌 billboard",
            "applicant": {"kind": "enterprise", "name": "广告有限公司"},
            "materials": [{"code": c} for c in MATERIALS],
            "channel": "window",
        }
        made = await self._post("/cases", body, headers)
        if made is None:
            return None
        self.adopt(made["case_id"])
        return str(made["case_id"])

    async def step(self, case_ids: list[str]) -> dict[str, str]:
        for case_id, dept in await self._open_tasks(case_ids):
            if case_id in self.by_api and (case_id, dept) not in self.decisions:
                token = mint(self.cluster.settings, "reviewer", dept=dept, name=f"{dept} 审查员")
                body = {"outcome": "approve", "reviewer": f"{dept}-1"}
                auth = {"Authorization": f"Bearer {token}"}
                got = await self._post(f"/tasks/{case_id}.{dept}/decision", body, auth)
                if got is not None:  # never re-sent over Kafka: its event id is the API's
                    doc = {"event_id": got["event_id"], "case_id": case_id}
                    self.decisions[(case_id, dept)] = Sent(doc, at=float("inf"))
        return await super().step(case_ids)


async def _order_problems(cluster: FaultCluster, case_ids: list[str]) -> list[str]:
    """Each case's events on case-events in the order they were written (the first copy of
    each: a relay killed before marking its rows sent publishes them again)."""
    topic = cluster.topics.case_events
    async with cluster.deps.sessions() as s:
        rows = await s.execute(
            sa.select(outbox.c.key, outbox.c.event_id)
            .where(outbox.c.topic == topic, outbox.c.key.in_(case_ids))
            .order_by(outbox.c.id)
        )
        written: dict[str, list[str]] = defaultdict(list)
        for r in rows:
            written[r.key].append(r.event_id)
    seen: dict[str, list[str]] = defaultdict(list)
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=cluster.settings.kafka_bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        total = sum(len(v) for v in written.values())
        deadline = time.monotonic() + 60
        while sum(len(v) for v in seen.values()) < total and time.monotonic() < deadline:
            for recs in (await consumer.getmany(timeout_ms=500)).values():
                for rec in recs:
                    key = (rec.key or b"").decode()
                    event_id = json.loads(rec.value)["event_id"]
                    if key in written and event_id not in seen[key]:
                        seen[key].append(event_id)
    finally:
        await consumer.stop()
    return [
        f"{case}: case-events out of order or incomplete"
        for case, ids in written.items()
        if seen[case] != ids
    ]


async def test_two_of_every_part_one_of_each_killed(cluster: FaultCluster, driver: Driver) -> None:
    second_port = free_port()
    for part in PARTS:
        cluster.start(f"{part}#2", api_port=second_port if part == "api" else None)
    second_api = f"http://127.0.0.1:{second_port}"
    await cluster.api_ready(url=second_api)
    world = TwoApis(cluster, driver.producer, apis=[cluster.api_url, second_api])
    try:
        ids = await world.submit(CASES // 2, "MULTI")
        for _ in range(CASES // 2):
            made = await world.submit_at_window("MULTI")
            assert made is not None, "neither API took the submission"
            ids.append(made)
        world.by_api = set(ids[::2])

        def quarter_done(status: dict[str, str]) -> bool:
            return sum(v in FINAL for v in status.values()) >= CASES // 4

        await world.drive(ids, quarter_done, timeout=300)
        for part in PARTS:  # one instance of each kind, with no warning
            cluster.kill(part, signal.SIGKILL)
        killed_at = time.monotonic()
        await world.until_final(ids, timeout=400)
        verdict = await check(world, "two of every part, one of each killed -9", ids, 0.0)
        verdict.recovery_s = time.monotonic() - killed_at
        verdict.problems += await _order_problems(cluster, ids)
        RESULTS.append(verdict)
        assert verdict.problems == [], verdict.problems[:20]
        assert verdict.lost == 0 and verdict.doubled == 0
    finally:
        for part in PARTS:  # the cluster as the other scenarios expect it: one of each
            if part not in cluster.parts:
                cluster.start(part)
            if f"{part}#2" in cluster.parts:
                cluster.kill(f"{part}#2", signal.SIGTERM)
        await cluster.api_ready()
