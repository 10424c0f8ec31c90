"""A department's own system talking to Lianban with any Kafka client.

This module deliberately imports nothing from the project: it produces submissions and
decisions as docs/contracts.md describes and reads the outcome from case-events.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from tests.utils.signing import signed_headers

CONSTRUCTION_DEPTS = ["nrp", "housing", "fire", "env", "cad"]
MATERIALS = [
    "application-form",
    "business-licence",
    "land-certificate",
    "design-drawings",
    "eia-report",
    "fire-design",
    "cad-plan",
]


def envelope(event_type: str, case_id: str, data: dict[str, Any], producer: str) -> bytes:
    return json.dumps(
        {
            "event_id": str(uuid.uuid4()),
            "event_type": event_type,
            "schema_version": 1,
            "case_id": case_id,
            "occurred_at": datetime.now(UTC).isoformat(),
            "producer": producer,
            "data": data,
        }
    ).encode()


async def read_until(
    bootstrap: str, topic: str, match: Any, timeout: float = 60.0
) -> dict[str, Any]:
    """Read a topic from the beginning until `match(record_dict)` holds."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await consumer.start()
    try:
        async with asyncio.timeout(timeout):
            async for msg in consumer:
                doc = json.loads(msg.value)
                doc["_key"] = msg.key.decode() if msg.key else None
                if match(doc):
                    return doc
    finally:
        await consumer.stop()
    raise AssertionError("unreachable")


async def test_case_through_kafka_only(app: Any) -> None:
    bootstrap = app.settings.kafka_bootstrap
    topics = app.settings.topics
    case_id = f"GD-{uuid.uuid4().hex[:12].upper()}"
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        submission = {
            "matter_code": "IND-CONSTRUCTION",
            "title": "新能源电池材料项目 Battery materials plant",
            "applicant": {"kind": "enterprise", "name": "华光新材料有限公司"},
            "channel": "online",
            "materials": [{"code": c} for c in MATERIALS],
        }
        await producer.send_and_wait(
            topics.submissions,
            envelope("ApplicationSubmitted", case_id, submission, "gd-portal"),
            key=case_id.encode(),
        )
        task = await read_until(
            bootstrap,
            topics.review_tasks,
            lambda d: d["case_id"] == case_id and d["data"]["department"] == "fire",
        )
        assert task["event_type"] == "ReviewTaskAssigned"
        assert task["data"]["task_id"] == f"{case_id}.fire"
        assert task["_key"] == case_id
        for dept in CONSTRUCTION_DEPTS:
            decision: dict[str, Any] = {
                "department": dept,
                "outcome": "approve",
                "reviewer": f"{dept}-system",
            }
            if dept == "env":
                decision |= {"outcome": "approve_with_conditions", "conditions": ["噪声控制"]}
            value = envelope("DecisionMade", case_id, decision, f"{dept}-system")
            await producer.send_and_wait(
                topics.decisions,
                value,
                key=case_id.encode(),
                headers=signed_headers(value, dept),  # docs/contracts.md "Signing decisions"
            )
    finally:
        await producer.stop()
    concluded = await read_until(
        bootstrap,
        topics.case_events,
        lambda d: d["case_id"] == case_id and d["event_type"] == "CaseConcluded",
    )
    assert concluded["data"]["outcome"] == "granted"
    assert concluded["data"]["conditions"] == ["[env] 噪声控制"]
    issued = await read_until(
        bootstrap,
        topics.case_events,
        lambda d: d["case_id"] == case_id and d["event_type"] == "LicenceIssued",
    )
    assert issued["data"]["licence_number"] == f"XK-{case_id}"
