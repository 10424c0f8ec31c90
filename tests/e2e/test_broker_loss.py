"""The broker loses everything mid-way (SIGKILL, started again empty on the same port): every
case still concludes, every decision is applied exactly once, and the review tasks of open cases
come again with their own event ids.

Real processes: this test's own Temporal dev server and broker (restarting the session's broker
would pull the rug from under the other tests), the whole app in this event loop, the reference
department client (`examples/department_client.py`) and a portal that, like the client, re-sends
until it sees its acknowledgement on case-events.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from entrypoints.devstack.stack import EmbeddedStack, StackConfig, free_port
from examples.department_client import Config, DepartmentClient, PartitionWatch
from store.schema import case_events, cases, dead_letters, decisions, outbox
from tests.e2e.kafka_util import CONSTRUCTION_DEPTS, construction_submission, envelope, read_all
from tests.stack import App, running_app
from tests.utils.eventually import eventually
from tests.utils.signing import decision_headers, signer

pytestmark = pytest.mark.e2e

EARLY = tuple(d for d in CONSTRUCTION_DEPTS if d != "cad")  # these systems run throughout
LATE = ("cad",)  # this one starts after the loss: it can only have what was published again


@pytest.fixture
async def own_stack(tmp_path: Path) -> AsyncIterator[EmbeddedStack]:
    config = StackConfig(
        var_dir=tmp_path / "stack",
        temporal_port=free_port(),
        temporal_ui_port=None,
        kafka_port=free_port(),
        temporal_db=None,
    )
    async with EmbeddedStack(config) as stack:
        yield stack


class Portal:
    """Submits applications and re-sends each (same event id) until `CaseAccepted` or
    `CaseNotAccepted` for its case shows on case-events: the
    contract in docs/contracts.md for a portal."""

    def __init__(self, bootstrap: str, prefix: str, resend: float = 1.0) -> None:
        self.bootstrap, self.prefix, self.resend = bootstrap, prefix, resend
        self.pending: dict[str, bytes] = {}  # case id -> the record, byte for byte
        self.answered: dict[str, str] = {}
        self.sends: Counter[str] = Counter()
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")

    async def submit(self) -> str:
        case_id = f"BL-{uuid.uuid4().hex[:12].upper()}"
        doc = envelope("ApplicationSubmitted", case_id, construction_submission(), "portal")
        self.pending[case_id] = json.dumps(doc).encode()
        await self._send(case_id)
        return case_id

    async def _send(self, case_id: str) -> None:
        with contextlib.suppress(Exception):  # the broker may be down: the next round re-sends
            async with asyncio.timeout(5):
                await self._producer.send_and_wait(
                    f"{self.prefix}.submissions", self.pending[case_id], key=case_id.encode()
                )
                self.sends[case_id] += 1

    async def run(self, stop: asyncio.Event) -> None:
        await self._producer.start()
        answers = AIOKafkaConsumer(
            f"{self.prefix}.case-events",
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=50,
        )
        probe = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, fetch_max_wait_ms=50)
        await answers.start()
        await probe.start()
        watch = PartitionWatch("portal case-events")
        resend_at = checked_at = time.monotonic()
        try:
            while not stop.is_set():
                with contextlib.suppress(Exception):
                    batch = await answers.getmany(timeout_ms=200)
                    for tp, records in batch.items():
                        for rec in records:
                            watch.saw(tp, rec)
                            doc = json.loads(rec.value)
                            if doc["event_type"] in ("CaseAccepted", "CaseNotAccepted"):
                                self.answered[doc["case_id"]] = doc["event_type"]
                                self.pending.pop(doc["case_id"], None)
                now = time.monotonic()
                if now - checked_at > 0.5:
                    checked_at = now
                    with contextlib.suppress(Exception):
                        async with asyncio.timeout(10):
                            await watch.check(answers, probe)
                if now - resend_at > self.resend:
                    resend_at = now
                    for case_id in list(self.pending):
                        await self._send(case_id)
        finally:
            for closing in (answers.stop(), probe.stop(), self._producer.stop()):
                with contextlib.suppress(Exception):
                    await closing


async def _query(app: App, query: Any) -> list[Any]:
    async with app.deps.sessions() as s:
        return list(await s.execute(query))


async def _concluded(app: App, case_ids: list[str]) -> dict[str, str | None]:
    rows = await _query(
        app, sa.select(cases.c.case_id, cases.c.outcome).where(cases.c.case_id.in_(case_ids))
    )
    return {r.case_id: r.outcome for r in rows if r.outcome is not None}


async def _decision_rows(app: App, case_ids: list[str]) -> list[Any]:
    return await _query(
        app,
        sa.select(decisions.c.case_id, decisions.c.department, decisions.c.event_id).where(
            decisions.c.case_id.in_(case_ids)
        ),
    )


def _client(app: App, departments: tuple[str, ...]) -> DepartmentClient:
    return DepartmentClient(
        Config(
            bootstrap=app.settings.kafka_bootstrap,
            prefix=app.settings.topic_prefix,
            departments=departments,
            reviewer="参考客户端",
            resend_seconds=1.0,
            resend_max_seconds=2.0,  # the test's pace, not the contract's
            check_seconds=0.5,
            session_timeout_ms=3000,  # joins its group in 2 s on the embedded broker, not 5
            signers={d: signer(d) for d in departments},
        )
    )


async def test_every_case_concludes_once_across_a_broker_restart(
    own_stack: EmbeddedStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIANBAN_BROKER_CHECK_SECONDS", "0.5")
    database = f"sqlite+aiosqlite:///{tmp_path / 'lianban.db'}"
    # Acknowledgements asked for again go out at most every 2 s (default 30 s), so the last
    # step sees its re-send answered without waiting half a minute.
    async with running_app(
        own_stack.temporal_address, own_stack.kafka_bootstrap, database, ack_again_seconds=2.0
    ) as app:
        stop = asyncio.Event()
        portal = Portal(app.settings.kafka_bootstrap, app.settings.topic_prefix)
        early, late = _client(app, EARLY), _client(app, LATE)
        running = [asyncio.create_task(portal.run(stop)), asyncio.create_task(early.run(stop))]
        try:
            await asyncio.wait_for(early.ready.wait(), 60)

            # Before: four cases, the four running departments' decisions applied.
            first = [await portal.submit() for _ in range(4)]

            async def first_decided() -> list[Any]:
                return await _decision_rows(app, first)

            await eventually(
                first_decided,
                until=lambda rows: len(rows) == len(first) * len(EARLY),
                timeout=90,
                what="the first cases' decisions applied",
            )

            # Four more, and the broker killed while they are on their way.
            second = [await portal.submit() for _ in range(4)]
            await own_stack.restart_broker()
            relay = app.running.relay
            assert relay is not None

            async def recovered() -> int:
                return relay.recoveries.recoveries

            await eventually(recovered, timeout=60, what="the relay finding the broker loss")

            # cad's system starts only now, and two cases come after the restart.
            running.append(asyncio.create_task(late.run(stop)))
            third = [await portal.submit() for _ in range(2)]
            everyone = first + second + third

            async def outcomes() -> dict[str, str | None]:
                return await _concluded(app, everyone)

            done = await eventually(
                outcomes,
                until=lambda got: len(got) == len(everyone),
                timeout=180,
                every=0.5,
                what="every case concluded",
            )
            assert set(done.values()) == {"granted"}, done

            async def all_acknowledged() -> list[Any]:
                return [d for c in (early, late) for d in c.decisions() if d.pending]

            await eventually(
                all_acknowledged,
                until=lambda pending: not pending,
                timeout=60,
                what="every decision acknowledged on case-events",
            )
        finally:
            stop.set()
            await asyncio.gather(*running, return_exceptions=True)

        # Each decision applied exactly once: one row per case and department, carrying the
        # event id the department system sent (and re-sent), one DepartmentDecided in the log.
        sent = {(d.case_id, d.department): d.event_id for c in (early, late) for d in c.decisions()}
        rows = await _decision_rows(app, everyone)
        assert Counter((r.case_id, r.department) for r in rows) == Counter(
            {(c, d): 1 for c in everyone for d in CONSTRUCTION_DEPTS}
        )
        assert {(r.case_id, r.department): r.event_id for r in rows} == sent
        logged = await _query(
            app,
            sa.select(case_events.c.case_id, case_events.c.data).where(
                case_events.c.case_id.in_(everyone),
                case_events.c.event_type == "DepartmentDecided",
            ),
        )
        per_case = Counter((r.case_id, _data(r.data)["department"]) for r in logged)
        assert per_case == Counter({(c, d): 1 for c in everyone for d in CONSTRUCTION_DEPTS})
        assert not await _query(app, sa.select(dead_letters.c.id)), "nothing dead-lettered"
        # Every accepted submission was acknowledged to the portal.
        assert set(portal.answered) == set(everyone) and not portal.pending

        # The review tasks of the cases open at the loss were published again with their own
        # event ids: cad's system, started after the loss, has the first cases' tasks.
        # How many rows that is depends on how far the cases had got when the broker died;
        # which ones must be among them is checked below.
        assert relay.recoveries.recoveries >= 1 and relay.recoveries.republished > 0
        published = await _query(
            app,
            sa.select(outbox.c.key, outbox.c.event_id, outbox.c.value).where(
                outbox.c.topic == app.settings.topics.review_tasks,
                outbox.c.key.in_(first + second),
            ),
        )
        cad_tasks = [r for r in published if _data(r.value)["data"]["department"] == "cad"]
        assert {r.key for r in cad_tasks} == set(first + second)
        assert {r.event_id for r in cad_tasks} <= late.state.seen

        # The orchestrator says so where an operator looks.
        async with httpx.AsyncClient(base_url=app.api_url, timeout=15) as http:
            ready = (await http.get("/readyz")).json()
        broker = next(c for c in ready["checks"] if c["name"] == "broker")
        assert "recovered from" in broker["detail"], broker

        # A department re-sending a decision already applied (its acknowledgement may be what
        # the broker lost) changes nothing, and gets DepartmentDecided published again.
        again = early.state.decisions[f"{first[0]}.fire"]
        events_topic = app.settings.topics.case_events

        def ack_of(doc: dict[str, Any]) -> bool:
            return doc["event_type"] == "DepartmentDecided" and (
                doc["data"]["decision_event_id"] == again.event_id
            )

        before = len(await read_all(app.settings.kafka_bootstrap, events_topic, ack_of))
        producer = AIOKafkaProducer(bootstrap_servers=app.settings.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            value = again.record.encode()

            async def acks_on_topic() -> int:
                # Re-sent until answered, as the department does (the acknowledgement goes out
                # again at most once per `ack_again_seconds`: it may have just gone).
                await producer.send_and_wait(
                    app.settings.topics.decisions,
                    value,
                    key=again.case_id.encode(),
                    headers=decision_headers(value),
                )
                return len(await read_all(app.settings.kafka_bootstrap, events_topic, ack_of, 0.5))

            await eventually(
                acks_on_topic,
                until=lambda n: n > before,
                timeout=30,
                every=1.0,
                what="the acknowledgement published again",
            )
        finally:
            await producer.stop()
        assert len(await _decision_rows(app, [again.case_id])) == len(CONSTRUCTION_DEPTS)
        assert not await _query(app, sa.select(dead_letters.c.id))


def _data(value: Any) -> dict[str, Any]:
    return dict(json.loads(value) if isinstance(value, str) else value)
