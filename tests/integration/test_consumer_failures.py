"""A consumer's failure ends neither the process nor the other topic's consumer.

Real consumers on the real broker: a second member joins the group while the first is applying
a batch (what a rolling upgrade does), so the first commits for partitions it no longer owns;
and a consumers process whose broker is not there yet when it starts.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from entrypoints.consumers import EventConsumer
from entrypoints.devstack.stack import EmbeddedStack, StackConfig, ensure_topics, free_port
from entrypoints.runner import Parts, Running, serve
from events.registry import Decoded, encode
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings
from tests.utils.eventually import eventually
from tests.utils.factories import submission

pytestmark = pytest.mark.integration
PARTITIONS = 4


async def _deps(tmp_path: Path, bootstrap_servers: str) -> Deps:
    tag = uuid.uuid4().hex[:8]
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'lianban.db'}",
        kafka_bootstrap=bootstrap_servers,
        topic_prefix=f"t{tag}",
        consumer_group=f"g{tag}",
        kafka_session_timeout_ms=3000,  # a member joins in 2 s on the embedded broker, not 5
    )
    return await bootstrap(settings, temporal=False, migrate=True)


@pytest.fixture
async def deps(tmp_path: Path, stack: EmbeddedStack) -> AsyncIterator[Deps]:
    built = await _deps(tmp_path, stack.kafka_bootstrap)
    await ensure_topics(stack.kafka_bootstrap, built.topics.all(), PARTITIONS)
    try:
        yield built
    finally:
        await built.close()


async def _produce(deps: Deps, partitions: list[int], each: int) -> list[str]:
    """`each` valid submissions into each of `partitions`; their case ids."""
    producer = AIOKafkaProducer(bootstrap_servers=deps.settings.kafka_bootstrap, acks="all")
    await producer.start()
    sent = []
    try:
        for partition in partitions:
            for _ in range(each):
                env, _ = submission(deps.catalog, "OUTDOOR-AD")
                topic = deps.topics.submissions
                await producer.send_and_wait(topic, encode(env), partition=partition)
                sent.append(env.case_id)
    finally:
        await producer.stop()
    return sent


async def test_a_rebalance_during_a_batch_does_not_end_the_consumer(deps: Deps) -> None:
    entered, release = asyncio.Event(), asyncio.Event()
    applied: list[str] = []

    async def slow(_: Deps, ev: Decoded) -> None:
        entered.set()
        await release.wait()  # the batch is being applied while the group rebalances
        applied.append(ev.envelope.case_id)

    first = EventConsumer(deps, deps.topics.submissions, slow)
    batch = await _produce(deps, list(range(PARTITIONS)), 3)
    stop = asyncio.Event()
    task = asyncio.create_task(first.run(stop))
    second = AIOKafkaConsumer(
        deps.topics.submissions,
        bootstrap_servers=deps.settings.kafka_bootstrap,
        group_id=first.group,
        enable_auto_commit=False,
        auto_offset_reset="latest",  # it only takes partitions away; it applies nothing
    )
    try:
        await asyncio.wait_for(entered.wait(), 60)
        await second.start()

        async def taken() -> set[TopicPartition]:
            await second.getmany(timeout_ms=100)
            return second.assignment()

        mine = await eventually(taken, timeout=60, what="the second member's partitions")
        release.set()  # the first commits its batch: some of it is no longer its own
        await eventually(lambda: _applied(task, applied, batch), timeout=60)
        # Still consuming: a record on a partition left to the first is applied.
        left = sorted({p for p in range(PARTITIONS)} - {tp.partition for tp in mine})
        assert left, mine
        [later] = await _produce(deps, left[:1], 1)
        await eventually(lambda: _applied(task, applied, [later]), timeout=60)
    finally:
        stop.set()
        release.set()
        await second.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 30)
    assert not task.cancelled() and task.exception() is None


async def _applied(task: asyncio.Task[None], applied: list[str], wanted: list[str]) -> bool:
    if task.done():  # the consumer ended: say why at once rather than time out
        raise AssertionError(f"the consumer ended: {task.exception()!r}")
    return set(wanted) <= set(applied)


async def test_the_consumers_outlive_a_broker_that_is_not_there_yet(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`serve` with the consumers only, started while no broker listens: before, the first
    consumer's failed start ended `serve` (and the process); now each is started again with
    backoff, and both apply what comes once the broker is up."""
    port = free_port()
    deps = await _deps(tmp_path, f"127.0.0.1:{port}")
    seen: dict[str, list[str]] = {"submissions": [], "decisions": []}
    stop, running = asyncio.Event(), Running()
    task = asyncio.create_task(serve(deps, stop, Parts(False, True, False, False), running))
    try:
        await running.started.wait()
        for c in running.consumers:  # record what each applies instead of applying it

            async def note(_: Deps, ev: Decoded, role: str = c.role) -> None:
                seen[role].append(ev.envelope.case_id)

            c.handler = note

        async def failed() -> set[str]:
            if task.done():
                raise AssertionError(f"serve ended: {task.exception()!r}")
            said = [r.getMessage() for r in caplog.records if r.name == "lianban.consumers"]
            return {role for role in seen for m in said if f"the {role} consumer failed" in m}

        # Each consumer fails (no broker), says so at ERROR, and is started again.
        await eventually(failed, until=lambda roles: roles == set(seen), timeout=60, every=0.2)
        config = StackConfig(
            var_dir=tmp_path / "stack", temporal_ui_port=None, kafka_port=port, temporal_db=None
        )
        broker = EmbeddedStack(config)
        await broker.start_broker()
        try:
            await ensure_topics(broker.kafka_bootstrap, deps.topics.all(), PARTITIONS)
            sent = await _produce(deps, [0, 1], 1)

            async def applied() -> bool:
                if task.done():
                    raise AssertionError(f"serve ended: {task.exception()!r}")
                return set(sent) <= set(seen["submissions"])

            await eventually(applied, timeout=120, every=0.2, what="applied after the broker")
            assert all(c.restarts >= 1 for c in running.consumers)
        finally:
            stop.set()
            await asyncio.wait_for(task, 60)
            await broker.stop()
    finally:
        stop.set()
        await deps.close()
