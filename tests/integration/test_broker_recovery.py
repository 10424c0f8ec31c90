"""The relay finds a broker that lost what it published and publishes again what still matters:
at start-up (Lianban restarted together with an empty broker) and while running (a topic
deleted and recreated, as on a real cluster)."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from entrypoints.devstack.stack import EmbeddedStack, ensure_topics
from entrypoints.relay import OutboxRelay, make_producer
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings
from store.schema import cases, outbox
from tests.utils.eventually import eventually
from tests.utils.inbox_rows import case_and_task, insert

pytestmark = pytest.mark.integration


@pytest.fixture
async def deps(tmp_path: Path, stack: EmbeddedStack) -> AsyncIterator[Deps]:
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'lianban.db'}",
        kafka_bootstrap=stack.kafka_bootstrap,
        topic_prefix=f"t{uuid.uuid4().hex[:8]}",
    )
    await ensure_topics(stack.kafka_bootstrap, settings.topics.all())
    built = await bootstrap(settings, temporal=False, migrate=True)
    try:
        yield built
    finally:
        await built.close()


@pytest.fixture
async def producer(stack: EmbeddedStack) -> AsyncIterator[AIOKafkaProducer]:
    made = make_producer(stack.kafka_bootstrap)
    await made.start()
    try:
        yield made
    finally:
        await made.stop()


async def _sent_row(deps: Deps, topic: str, key: str, event_type: str, data: dict[str, str]) -> int:
    """An outbox row published before (by a relay that has since stopped)."""
    now = datetime.now(UTC)
    value = {"event_id": str(uuid.uuid4()), "event_type": event_type, "case_id": key}
    async with deps.sessions() as s, s.begin():
        result = await s.execute(
            sa.insert(outbox).values(
                event_id=value["event_id"],
                topic=topic,
                key=key,
                value=json.dumps(value | {"data": data}),
                headers={"event_type": event_type},
                created_at=now,
                sent_at=now,
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[attr-defined]


async def _unsent(deps: Deps) -> set[int]:
    async with deps.sessions() as s:
        rows = await s.execute(sa.select(outbox.c.id).where(outbox.c.sent_at.is_(None)))
    return {r.id for r in rows}


async def test_open_review_tasks_are_published_again_when_the_broker_lost_them(
    deps: Deps, producer: AIOKafkaProducer
) -> None:
    topics = deps.topics
    pairs = [case_and_task("fire", None), case_and_task("fire", None, status="decided")]
    pairs.append(case_and_task("env", None))  # its case has concluded since
    await insert(deps, pairs)
    async with deps.sessions() as s, s.begin():
        done = pairs[2][0]["case_id"]
        await s.execute(sa.update(cases).where(cases.c.case_id == done).values(status="granted"))
    tasks = [
        await _sent_row(
            deps, topics.review_tasks, c["case_id"], "ReviewTaskAssigned", {"task_id": t["task_id"]}
        )
        for c, t in pairs
    ]
    open_case = pairs[0][0]["case_id"]
    accepted = await _sent_row(deps, topics.case_events, open_case, "CaseAccepted", {})

    # Start-up: the outbox says these topics were published to, and the broker holds nothing.
    relay = OutboxRelay(deps, producer)
    try:
        assert await relay.check_broker()
        assert await _unsent(deps) == {tasks[0]}, "only the open task of the case in review"
        assert relay.recoveries.recoveries == 1 and relay.recoveries.republished == 1
        assert await relay.run_once() == 1
        assert not await relay.check_broker(), "whole again"
        assert accepted not in await _unsent(deps)

        # Running: the topic is deleted and made again (a real cluster's operator mistake).
        admin = AIOKafkaAdminClient(bootstrap_servers=deps.settings.kafka_bootstrap)
        await admin.start()
        try:
            await admin.delete_topics([topics.review_tasks])

            async def gone() -> bool:
                return topics.review_tasks not in await admin.list_topics()

            await eventually(gone, timeout=15, what="the topic deleted")
        finally:
            await admin.close()
        assert await relay.check_broker()
        assert await _unsent(deps) == {tasks[0]}
        assert relay.recoveries.recoveries == 2
        assert "topic" in relay.recoveries.last_reason and topics.review_tasks in (
            relay.recoveries.last_reason
        )
        assert await relay.run_once() == 1
        assert not await relay.check_broker()
    finally:
        await relay.close()


async def test_an_idle_relay_notices_a_topic_recreated_behind_its_back(
    deps: Deps, producer: AIOKafkaProducer
) -> None:
    pairs = [case_and_task("fire", None)]
    await insert(deps, pairs)
    case, task = pairs[0]
    row = await _sent_row(
        deps,
        deps.topics.review_tasks,
        case["case_id"],
        "ReviewTaskAssigned",
        {"task_id": task["task_id"]},
    )
    first = OutboxRelay(deps, producer)
    try:
        assert await first.check_broker()  # start-up with an empty broker: published again
        assert await first.run_once() == 1
    finally:
        await first.close()
    # A relay started afresh publishes nothing, watches the record the partition holds, and
    # the topic is lost and made again (as a client's metadata request does on the embedded
    # broker) before its next look.
    relay = OutboxRelay(deps, producer)
    try:
        assert not await relay.check_broker()
        assert relay.ledger.last_records(), "a record to watch"
        admin = AIOKafkaAdminClient(bootstrap_servers=deps.settings.kafka_bootstrap)
        await admin.start()
        try:
            await admin.delete_topics([deps.topics.review_tasks])

            async def gone() -> bool:
                return deps.topics.review_tasks not in await admin.list_topics()

            await eventually(gone, timeout=15, what="the topic deleted")
        finally:
            await admin.close()
        await ensure_topics(deps.settings.kafka_bootstrap, [deps.topics.review_tasks])
        assert await relay.check_broker()
        assert "is gone" in relay.recoveries.last_reason
        assert await _unsent(deps) == {row}
    finally:
        await relay.close()
