"""The embedded stack starts, serves Kafka and Temporal, and stops without leftovers."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client

from entrypoints.devstack.stack import (
    HOST,
    EmbeddedStack,
    StackConfig,
    StackError,
    ensure_topics,
    free_port,
    port_open,
)

pytestmark = pytest.mark.integration


def _config(tmp_path: Path, **overrides: object) -> StackConfig:
    temporal_port = free_port()
    kafka_port = free_port()
    while kafka_port == temporal_port:
        kafka_port = free_port()
    cfg = StackConfig(
        var_dir=tmp_path, temporal_port=temporal_port, kafka_port=kafka_port, temporal_ui_port=None
    )
    for key, value in overrides.items():
        setattr(cfg, key, value)
    return cfg


class _Assigned(ConsumerRebalanceListener):
    """Signals the first partition assignment, so the test waits on an event, not a sleep."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        pass

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        if assigned:
            self.event.set()


async def _roundtrip_kafka(bootstrap: str) -> None:
    topic = f"stack-test-{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic], partitions=2)

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=f"g-{topic}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    listener = _Assigned()
    consumer.subscribe([topic], listener=listener)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await consumer.start()
    await producer.start()
    try:
        await asyncio.wait_for(listener.event.wait(), 30)  # group join takes seconds
        await producer.send_and_wait(topic, b"hello", key=b"k")
        msg = await asyncio.wait_for(consumer.getone(), 15)
        assert msg.value == b"hello"
        tp = TopicPartition(msg.topic, msg.partition)
        await consumer.commit({tp: msg.offset + 1})
        assert await consumer.committed(tp) == msg.offset + 1
    finally:
        await producer.stop()
        await consumer.stop()


async def _check_temporal(address: str) -> None:
    client = await Client.connect(address)
    resp = await client.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace="default")
    )
    assert resp.namespace_info.name == "default"
    # No close() on temporalio clients: drop the reference so nothing lingers to exit time.
    del client


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


async def test_stack_serves_kafka_and_temporal_then_stops_clean(tmp_path: Path) -> None:
    cfg = _config(tmp_path)
    stack = EmbeddedStack(cfg)
    await stack.start()
    try:
        assert stack.temporal_address == f"{HOST}:{cfg.temporal_port}"
        assert stack.kafka_bootstrap == f"{HOST}:{cfg.kafka_port}"
        assert stack.ui_url is None
        assert set(stack.timings) == {"temporal", "kafka"}
        pids = [p.pid for p in stack.processes]
        assert len(pids) == 2 and all(pids)

        await _roundtrip_kafka(stack.kafka_bootstrap)
        await _check_temporal(stack.temporal_address)
    finally:
        await stack.stop()

    assert not port_open(HOST, cfg.temporal_port)
    assert not port_open(HOST, cfg.kafka_port)
    for pid in pids:
        assert pid is not None and _group_gone(pid)  # leader pid == process group id
    assert (cfg.logs_path / "temporal.log").exists()
    assert (cfg.logs_path / "tansu.log").exists()
    assert (tmp_path / "temporal.db").exists()


async def test_busy_port_fails_unless_reused(tmp_path: Path) -> None:
    cfg = _config(tmp_path, temporal_db=None)
    async with EmbeddedStack(cfg) as first:
        with pytest.raises(StackError, match="already running"):
            await EmbeddedStack(cfg).start()

        reuse_cfg = _config(tmp_path / "second", temporal_db=None, reuse_existing=True)
        reuse_cfg.temporal_port, reuse_cfg.kafka_port = cfg.temporal_port, cfg.kafka_port
        async with EmbeddedStack(reuse_cfg) as second:
            assert second.reused == {"temporal", "kafka"}
            assert second.processes == []
        # Leaving the reusing stack must not have stopped the servers it borrowed.
        assert all(p.running for p in first.processes)
        assert port_open(HOST, cfg.temporal_port) and port_open(HOST, cfg.kafka_port)
    assert not (tmp_path / "temporal.db").exists()  # in-memory


@pytest.fixture
def foreign_listener() -> Iterator[int]:
    """A port held by something that is neither Temporal nor Kafka."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        sock.listen()
        yield int(sock.getsockname()[1])


async def test_port_held_by_something_else_is_reported(
    tmp_path: Path, foreign_listener: int
) -> None:
    cfg = _config(tmp_path, kafka_port=foreign_listener)
    stack = EmbeddedStack(cfg)
    with pytest.raises(StackError, match="isn't kafka"):
        await stack.start()
    assert stack.processes == []
