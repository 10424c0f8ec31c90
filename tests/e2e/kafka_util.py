"""Plain-JSON Kafka helpers for the e2e tests (no project imports, like an outside system)."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from tests.utils.signing import decision_headers

CONSTRUCTION_DEPTS = ["nrp", "housing", "fire", "env", "cad"]
CONSTRUCTION_MATERIALS = [
    "application-form",
    "business-licence",
    "land-certificate",
    "design-drawings",
    "eia-report",
    "fire-design",
    "cad-plan",
]


def envelope(
    event_type: str, case_id: str, data: dict[str, Any], producer: str = "tests", **extra: Any
) -> dict[str, Any]:
    doc = {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "schema_version": 1,
        "case_id": case_id,
        "occurred_at": datetime.now(UTC).isoformat(),
        "producer": producer,
        "data": data,
    }
    return doc | extra


def construction_submission() -> dict[str, Any]:
    return {
        "matter_code": "IND-CONSTRUCTION",
        "title": "新能源电池材料项目 Battery materials plant",
        "applicant": {"kind": "enterprise", "name": "华光新材料有限公司"},
        "materials": [{"code": c} for c in CONSTRUCTION_MATERIALS],
    }


class Produce:
    """A producer that returns where each record landed (topic, partition, offset)."""

    def __init__(self, bootstrap: str) -> None:
        self._producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")

    async def __aenter__(self) -> Produce:
        await self._producer.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._producer.stop()

    async def raw(
        self,
        topic: str,
        value: bytes,
        key: str | None,
        headers: list[tuple[str, bytes]] | None = None,
    ) -> tuple[str, int, int]:
        meta = await self._producer.send_and_wait(
            topic, value, key=key.encode() if key else None, headers=headers
        )
        return meta.topic, meta.partition, meta.offset

    async def event(
        self, topic: str, doc: dict[str, Any], *, sign: bool = True
    ) -> tuple[str, int, int]:
        """Send `doc`; a decision signed by its department's test key, as its system would."""
        value = json.dumps(doc).encode()
        return await self.raw(topic, value, doc.get("case_id"), decision_headers(value, sign))


async def read_until(
    bootstrap: str, topic: str, match: Callable[[dict[str, Any]], bool], timeout: float = 60.0
) -> dict[str, Any]:
    """Read `topic` from the beginning until a record matches; fail after `timeout`."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        async with asyncio.timeout(timeout):
            async for msg in consumer:
                doc = json.loads(msg.value)
                if match(doc):
                    return dict(doc)
    finally:
        await consumer.stop()
    raise AssertionError("unreachable")


async def read_all(
    bootstrap: str, topic: str, match: Callable[[dict[str, Any]], bool], timeout: float = 60.0
) -> list[dict[str, Any]]:
    """Every matching record on the topic as of this call: read up to its end offsets then.

    Wait for a record written after the ones wanted (e.g. with `read_until`) first."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    found: list[dict[str, Any]] = []
    try:
        async with asyncio.timeout(timeout):
            await consumer.topics()  # the metadata, for the topic's partitions
            partitions = [
                TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()
            ]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            left = {tp for tp in partitions if await consumer.position(tp) < ends[tp]}
            while left:
                batch = await consumer.getmany(*left, timeout_ms=1000)
                for tp, records in batch.items():
                    found += [
                        d
                        for r in records
                        if r.offset < ends[tp] and match(d := json.loads(r.value))
                    ]
                left = {tp for tp in left if await consumer.position(tp) < ends[tp]}
        return found
    finally:
        await consumer.stop()


def dead_letter_for(source: tuple[str, int, int]) -> Callable[[dict[str, Any]], bool]:
    topic, partition, offset = source

    def match(doc: dict[str, Any]) -> bool:
        data = doc["data"]
        return bool(
            data["source_topic"] == topic
            and data["partition"] == partition
            and data["offset"] == offset
        )

    return match
