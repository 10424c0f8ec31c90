"""Consumer lag measured on the embedded broker, whose end offsets stop at the first record of a
partition's last batch: the lag is read to the partition's true end."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from entrypoints.devstack.stack import EmbeddedStack, ensure_topics
from infra.broker_probe import BrokerProbe
from tests.utils.eventually import eventually

pytestmark = pytest.mark.integration


async def _one_batch(bootstrap: str, topic: str, n: int) -> None:
    """`n` records to partition 0, sent together so the producer makes them one batch."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=200)
    await producer.start()
    try:
        sent = [await producer.send(topic, f"r{i}".encode(), partition=0) for i in range(n)]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()


async def _member(bootstrap: str, group: str, topic: str) -> AIOKafkaConsumer:
    """A member of `group` holding the topic's partitions (a commit needs the membership)."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()

    async def assigned() -> bool:
        return len(consumer.assignment()) == 2

    await eventually(assigned, timeout=60, what="the group's assignment")
    return consumer


async def test_lag_counts_every_record_of_the_last_batch(stack: EmbeddedStack) -> None:
    topic, group = f"lag-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    await ensure_topics(stack.kafka_bootstrap, [topic], partitions=2)
    await _one_batch(stack.kafka_bootstrap, topic, 40)
    probe = BrokerProbe(stack.kafka_bootstrap, timeout=10)
    try:
        # The broker's own end offset understates what partition 0 holds (the quirk).
        reported = await probe.end_offsets([topic])
        assert reported[(topic, 0)] < 40, "the embedded broker reported the true end"
        assert await probe.partition_lags(group, topic) == {0: 40, 1: 0}
        member = await _member(stack.kafka_bootstrap, group, topic)
        try:
            await member.commit({TopicPartition(topic, 0): 25})
            assert await probe.partition_lags(group, topic) == {0: 15, 1: 0}
            assert (await probe.lag(group, topic)).records == 15
            await member.commit({TopicPartition(topic, 0): 40})
            assert await probe.partition_lags(group, topic) == {0: 0, 1: 0}
        finally:
            await member.stop()
    finally:
        await probe.close()


async def test_an_unknown_topic_has_no_lag_figure(stack: EmbeddedStack) -> None:
    probe = BrokerProbe(stack.kafka_bootstrap, timeout=3)
    try:
        # Named nowhere: None (unknown), not 0, so the gauge keeps no made-up value.
        lags = await probe.partition_lags("g", f"missing-{uuid.uuid4().hex[:8]}")
        assert lags is None or lags == {0: 0}
    finally:
        await probe.close()
