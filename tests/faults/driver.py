"""The fault suite's outside world: a portal and department systems speaking only the docs'
Kafka contract, with its end-to-end acknowledgements — each keeps re-sending the same record
(same event id) until the orchestrator's own record shows it applied."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from store.schema import case_events, cases, tasks
from tests.faults.cluster import FaultCluster
from tests.utils.eventually import eventually
from tests.utils.signing import decision_headers

MATTER = "OUTDOOR-AD"  # two departments reviewing in parallel: nrp and samr
MATERIALS = ["application-form", "design-drawings"]
# Every case here is approved by all: it ends issued (a refusal would end "concluded").
FINAL = ("issued", "not_accepted", "withdrawn", "terminated")
RESEND_AFTER = 3.0  # seconds without an acknowledgement before the same record goes again


def envelope(event_type: str, case_id: str, data: dict[str, Any], producer: str) -> dict[str, Any]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "schema_version": 1,
        "case_id": case_id,
        "occurred_at": datetime.now(UTC).isoformat(),
        "producer": producer,
        "data": data,
    }


@dataclass
class Sent:
    doc: dict[str, Any]
    at: float = 0.0
    times: int = 0


@dataclass
class Driver:
    cluster: FaultCluster
    producer: AIOKafkaProducer
    submissions: dict[str, Sent] = field(default_factory=dict)
    decisions: dict[tuple[str, str], Sent] = field(default_factory=dict)
    duplicate: bool = False  # every record goes twice (a producer retry)
    reverse: bool = False  # departments decide in reverse order
    hold: bool = False  # departments decide nothing new (re-sends go on)

    async def _send(self, topic: str, sent: Sent) -> None:
        import json

        body = json.dumps(sent.doc).encode()
        copies = 2 if self.duplicate else 1
        with contextlib.suppress(KafkaError, OSError, asyncio.TimeoutError):
            for _ in range(copies):
                await self.producer.send_and_wait(
                    topic, body, key=sent.doc["case_id"].encode(), headers=decision_headers(body)
                )
            sent.times += 1
        sent.at = time.monotonic()

    async def submit(self, count: int, prefix: str) -> list[str]:
        ids = [f"{prefix}-{uuid.uuid4().hex[:8].upper()}" for _ in range(count)]
        for case_id in ids:
            data = {
                "matter_code": MATTER,
                "title": "户外广告牌 billboard",
                "applicant": {"kind": "enterprise", "name": "广告有限公司"},
                "materials": [{"code": c} for c in MATERIALS],
            }
            sent = Sent(envelope("ApplicationSubmitted", case_id, data, "portal"))
            self.submissions[case_id] = sent
            await self._send(self.cluster.topics.submissions, sent)
        return ids

    def adopt(self, case_id: str) -> None:
        """A case submitted some other way (the API): drive its decisions, never re-send it."""
        self.submissions[case_id] = Sent({"case_id": case_id}, at=float("inf"))

    async def _open_tasks(self, case_ids: list[str]) -> list[tuple[str, str]]:
        async with self.cluster.deps.sessions() as s:
            rows = await s.execute(
                sa.select(tasks.c.case_id, tasks.c.department)
                .where(tasks.c.case_id.in_(case_ids), tasks.c.status == "open")
                .order_by(
                    tasks.c.case_id,
                    tasks.c.department.desc() if self.reverse else tasks.c.department,
                )
            )
        return [(r.case_id, r.department) for r in rows]

    async def _known(self, case_ids: list[str]) -> tuple[dict[str, str], set[str]]:
        """Case statuses, and the decision event ids acknowledged on the case log."""
        async with self.cluster.deps.sessions() as s:
            status = dict(
                (
                    await s.execute(
                        sa.select(cases.c.case_id, cases.c.status).where(
                            cases.c.case_id.in_(case_ids)
                        )
                    )
                ).all()
            )
            decided = await s.execute(
                sa.select(case_events.c.data).where(
                    case_events.c.case_id.in_(case_ids),
                    case_events.c.event_type == "DepartmentDecided",
                )
            )
        return status, {str(r.data["decision_event_id"]) for r in decided}

    async def step(self, case_ids: list[str]) -> dict[str, str]:
        """Decide new tasks, re-send what is not acknowledged yet; the cases' statuses."""
        for case_id, dept in [] if self.hold else await self._open_tasks(case_ids):
            if (case_id, dept) not in self.decisions:
                data = {"department": dept, "outcome": "approve", "reviewer": f"{dept}-1"}
                sent = Sent(envelope("DecisionMade", case_id, data, f"{dept}-dept-system"))
                self.decisions[(case_id, dept)] = sent
                await self._send(self.cluster.topics.decisions, sent)
        status, acked = await self._known(case_ids)
        now = time.monotonic()
        for case_id in case_ids:
            sub = self.submissions[case_id]
            if case_id not in status and now - sub.at > RESEND_AFTER:
                await self._send(self.cluster.topics.submissions, sub)
        for (case_id, _), sent in self.decisions.items():
            unacked = sent.doc["event_id"] not in acked
            if case_id in status and unacked and now - sent.at > RESEND_AFTER:
                await self._send(self.cluster.topics.decisions, sent)
        return status

    async def drive(
        self,
        case_ids: list[str],
        done: Callable[[dict[str, str]], bool],
        *,
        timeout: float = 150,
        may_die: str | None = None,
    ) -> float:
        """Keep the outside world going until `done(statuses)`; seconds it took. Fails at once
        when a part dies, except `may_die` (armed with a failpoint)."""
        started = time.monotonic()

        async def world() -> dict[str, str]:
            self.cluster.assert_alive(but=may_die)
            return await self.step(case_ids)

        # Each probe is one round of the portal's and departments' work, at their pace.
        await eventually(world, until=done, timeout=timeout, every=0.2, what="the cases' progress")
        return time.monotonic() - started

    async def unsent(self) -> int:
        """Outbox rows not yet published (parked ones aside: they are reported, not pending)."""
        from store.schema import outbox

        async with self.cluster.deps.sessions() as s:
            query = sa.select(sa.func.count()).where(
                outbox.c.sent_at.is_(None), outbox.c.parked_at.is_(None)
            )
            return int(await s.scalar(query) or 0)

    async def until_final(self, case_ids: list[str], timeout: float = 150) -> float:
        """Drive until every case has its final state; seconds it took."""

        def final(status: dict[str, str]) -> bool:
            return len(status) == len(case_ids) and all(v in FINAL for v in status.values())

        took = await self.drive(case_ids, final, timeout=timeout)

        async def unsent() -> int:
            self.cluster.assert_alive()
            return await self.unsent()

        # And every outgoing event published.
        await eventually(unsent, until=lambda n: n == 0, timeout=timeout, what="outbox drained")
        return took
