"""Asks the Kafka broker whether it answers, and how far the orchestrator's consumer groups lag.

One admin client and one offsets-only consumer per process, made on first use and remade after
a failure, so a health check costs two metadata round trips rather than two new connections.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from infra import kafka_client
from infra.broker_loss import identity
from infra.kafka_client import KafkaTarget


@dataclass(frozen=True)
class Lag:
    """How many records of `topic` the group has not committed yet (None: unknown)."""

    topic: str
    group: str
    records: int | None


class BrokerProbe:
    def __init__(self, target: KafkaTarget, *, timeout: float = 2.0) -> None:
        self._target = target
        self._timeout = timeout
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._lock = asyncio.Lock()

    async def topics(self) -> list[str]:
        """The broker's topics; raises when it does not answer in time."""
        async with self._lock:
            try:
                admin = await self._admin_client()
                return await asyncio.wait_for(admin.list_topics(), self._timeout)
            except BaseException:
                await self._reset()
                raise

    async def end_offsets(self, topics: Collection[str]) -> dict[tuple[str, int], int]:
        """The end offset of every partition of `topics`, by (topic, partition). Name only topics
        that exist: asking about another one makes the embedded broker create it."""
        async with self._lock:
            try:
                return await asyncio.wait_for(self._end_offsets(topics), self._timeout)
            except BaseException:
                await self._reset()
                raise

    async def partition_counts(self, topics: Collection[str]) -> dict[str, int]:
        """How many partitions each of `topics` has (existing ones only: see `end_offsets`)."""
        async with self._lock:
            try:
                return await asyncio.wait_for(self._partition_counts(topics), self._timeout)
            except BaseException:
                await self._reset()
                raise

    async def _partition_counts(self, topics: Collection[str]) -> dict[str, int]:
        if not topics:
            return {}
        admin = await self._admin_client()
        described = await admin.describe_topics(sorted(topics))
        return {m["topic"]: len(m["partitions"]) for m in described if not m["error_code"]}

    async def _end_offsets(self, topics: Collection[str]) -> dict[tuple[str, int], int]:
        if not topics:
            return {}
        admin = await self._admin_client()
        tps = [
            TopicPartition(meta["topic"], p["partition"])
            for meta in await admin.describe_topics(sorted(topics))
            if not meta["error_code"]
            for p in meta["partitions"]
        ]
        if not tps:
            return {}
        consumer = await self._offsets_consumer()
        ends = await consumer.end_offsets(tps)
        return {(tp.topic, tp.partition): int(offset) for tp, offset in ends.items()}

    async def records_at(
        self, offsets: Mapping[tuple[str, int], int], wait: float = 3.0
    ) -> dict[tuple[str, int], str | None]:
        """The identity (`infra.broker_loss.identity`) of the record at each (topic, partition)'s
        offset; None when there is none (the partition lost it). A partition whose log now
        starts after the offset (retention) is left out: nothing can be told."""
        async with self._lock:
            try:
                return await asyncio.wait_for(self._records_at(offsets, wait), self._timeout)
            except BaseException:
                await self._reset()
                raise

    async def _records_at(
        self, offsets: Mapping[tuple[str, int], int], wait: float
    ) -> dict[tuple[str, int], str | None]:
        if not offsets:
            return {}
        consumer = await self._offsets_consumer()
        wanted = {TopicPartition(t, p): offset for (t, p), offset in offsets.items()}
        starts = await consumer.beginning_offsets(list(wanted))
        consumer.assign(list(wanted))
        pending = set()
        for tp, offset in wanted.items():
            if offset >= starts.get(tp, 0):
                consumer.seek(tp, offset)
                pending.add(tp)
        found: dict[tuple[str, int], str | None] = {}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        try:
            while pending and loop.time() < deadline:
                batch = await consumer.getmany(*pending, timeout_ms=100, max_records=len(pending))
                for tp, records in batch.items():
                    if records:
                        first = records[0]
                        here = first.offset == wanted[tp]
                        found[(tp.topic, tp.partition)] = identity(first.value) if here else None
                        pending.discard(tp)
        finally:
            consumer.assign([])
        for tp in pending:  # nothing at that offset: the partition ends before it
            found[(tp.topic, tp.partition)] = None
        return found

    async def lag(self, group: str, topic: str) -> Lag:
        """Records on `topic` past `group`'s committed offsets."""
        lags = await self.partition_lags(group, topic)
        return Lag(topic, group, sum(lags.values()) if lags is not None else None)

    async def partition_lags(self, group: str, topic: str) -> dict[int, int] | None:
        """Per partition of `topic`, the records past `group`'s committed offset (None:
        unknown). An uncommitted partition counts from its start."""
        async with self._lock:
            try:
                return await asyncio.wait_for(self._lags(group, topic), self._timeout)
            except Exception:
                await self._reset()
                return None

    async def _lags(self, group: str, topic: str) -> dict[int, int] | None:
        admin = await self._admin_client()
        consumer = await self._offsets_consumer()
        parts = consumer.partitions_for_topic(topic) or set()
        if not parts:
            await consumer.client.force_metadata_update()
            parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        if not tps:
            return None
        ends = await self._true_ends(consumer, tps)
        committed = await admin.list_consumer_group_offsets(group, partitions=tps)
        lags = {}
        for tp in tps:
            meta = committed.get(tp)
            done = meta.offset if meta is not None and meta.offset >= 0 else 0
            lags[tp.partition] = max(ends.get(tp, 0) - done, 0)
        return lags

    async def _true_ends(
        self, consumer: AIOKafkaConsumer, tps: list[TopicPartition], wait: float = 1.0
    ) -> dict[TopicPartition, int]:
        """One past the last record of each partition. The embedded broker reports as end
        offset one past the *first* record of the last batch, so lag from end offsets alone
        is understated by the rest of that batch: read from the reported end's record to the
        partition's end (a fetch returns the whole batch). On Kafka this reads one record and
        agrees with the end offset."""
        ends = {tp: int(end) for tp, end in (await consumer.end_offsets(tps)).items()}
        pending = {tp for tp, end in ends.items() if end > 0}
        consumer.assign(sorted(pending, key=lambda tp: tp.partition))
        for tp in pending:
            consumer.seek(tp, ends[tp] - 1)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        try:
            while pending and loop.time() < deadline:
                batch = await consumer.getmany(*pending, timeout_ms=100)
                if not batch:
                    break  # every partition read to its end
                for tp, records in batch.items():
                    if records:
                        ends[tp] = max(ends[tp], records[-1].offset + 1)
        finally:
            consumer.assign([])
        return ends

    async def _admin_client(self) -> AIOKafkaAdminClient:
        if self._admin is None:
            admin = kafka_client.admin(self._target, request_timeout_ms=int(self._timeout * 1000))
            await asyncio.wait_for(admin.start(), self._timeout)
            self._admin = admin
        return self._admin

    async def _offsets_consumer(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            consumer = kafka_client.consumer(
                self._target,
                enable_auto_commit=False,
                fetch_max_wait_ms=50,  # `records_at` fetches; an empty answer need not wait
                request_timeout_ms=int(self._timeout * 1000) + 1000,
            )
            await asyncio.wait_for(consumer.start(), self._timeout)
            self._consumer = consumer
        return self._consumer

    async def _reset(self) -> None:
        admin, consumer = self._admin, self._consumer
        self._admin = self._consumer = None
        with contextlib.suppress(Exception):
            if admin is not None:
                await asyncio.wait_for(admin.close(), self._timeout)
        with contextlib.suppress(Exception):
            if consumer is not None:
                await asyncio.wait_for(consumer.stop(), self._timeout)

    async def close(self) -> None:
        async with self._lock:
            await self._reset()
