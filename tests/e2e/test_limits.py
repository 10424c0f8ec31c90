"""Oversized input on every way in is refused with the limit named, and stops nothing: a case
submitted after 1 MB probes on both inbound topics concludes normally."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from events import limits
from tests.e2e.kafka_util import dead_letter_for, envelope, read_until
from tests.e2e.test_api import SUBMISSION, case_when, decide
from tests.stack import App
from tests.utils.auth import bearer
from tests.utils.signing import decision_headers

pytestmark = pytest.mark.e2e
MEGABYTE = 1_000_000  # under the broker's own 1 MiB, over Lianban's 256 KiB


@pytest.fixture
async def clerk(app: App) -> AsyncIterator[httpx.AsyncClient]:
    headers = bearer("clerk", settings=app.settings)
    async with httpx.AsyncClient(base_url=app.api_url, headers=headers, timeout=60) as http:
        yield http


async def _produce_raw(app: App, topic: str, value: bytes, key: str) -> tuple[str, int, int]:
    producer = AIOKafkaProducer(
        bootstrap_servers=app.settings.kafka_bootstrap, acks="all", max_request_size=2 * MEGABYTE
    )
    await producer.start()
    try:
        meta = await producer.send_and_wait(
            topic, value, key=key.encode(), headers=decision_headers(value)
        )
    finally:
        await producer.stop()
    return meta.topic, meta.partition, meta.offset


def _padded(doc: dict[str, Any], size: int) -> bytes:
    doc["data"]["padding"] = "x" * size  # an unknown field too, but size is checked first
    return json.dumps(doc).encode()


@pytest.mark.parametrize("topic", ["submissions", "decisions"])
async def test_a_megabyte_record_is_dead_lettered_with_an_excerpt_and_a_digest(
    app: App, clerk: httpx.AsyncClient, topic: str
) -> None:
    cid = f"BIG-{uuid.uuid4().hex[:8].upper()}"
    kind = "ApplicationSubmitted" if topic == "submissions" else "DecisionMade"
    value = _padded(envelope(kind, cid, {"department": "fire"}), MEGABYTE)
    source = await _produce_raw(app, getattr(app.settings.topics, topic), value, cid)
    dl = await read_until(
        app.settings.kafka_bootstrap, app.settings.topics.dead_letters, dead_letter_for(source)
    )
    data = dl["data"]
    assert data["error"] == "too_large"
    assert str(limits.MAX_RECORD_BYTES) in data["detail"]
    assert data["raw_bytes"] == len(value)
    assert data["raw_sha256"] == hashlib.sha256(value).hexdigest()
    assert len(data["raw"].encode()) <= limits.EXCERPT_BYTES
    # And the line did not stop: a case submitted now concludes normally.
    r = await clerk.post("/cases", json=SUBMISSION)
    assert r.status_code == 202
    case_id = r.json()["case_id"]
    case = await case_when(clerk, case_id, lambda c: len(c["tasks"]) == 5)
    for task in case["tasks"]:
        assert (await decide(clerk, task["task_id"], outcome="approve")).status_code == 202
    await case_when(clerk, case_id, lambda c: c["status"] == "issued", timeout=60)


async def test_a_body_over_the_limit_is_413_naming_the_limit(clerk: httpx.AsyncClient) -> None:
    huge = SUBMISSION | {"materials": [{"code": f"m{i}"} for i in range(100_000)]}
    r = await clerk.post("/cases", json=huge)
    assert r.status_code == 413
    assert r.json() == {
        "error": "too_large",
        "detail": f"request body over the limit of {limits.MAX_BODY_BYTES} bytes",
    }


async def test_a_chunked_body_over_the_limit_is_413_too(clerk: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(64):  # 64 × 8 KiB = 512 KiB, with no Content-Length
            yield b" " * 8192

    r = await clerk.post("/cases", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["error"] == "too_large"


async def test_too_many_materials_under_the_body_limit_is_422_naming_the_field(
    clerk: httpx.AsyncClient,
) -> None:
    many = SUBMISSION | {"materials": [{"code": "m"}] * (limits.MAX_MATERIALS + 1)}
    r = await clerk.post("/cases", json=many)
    assert r.status_code == 422
    assert [d["field"] for d in r.json()["detail"]] == ["body.materials"]


async def test_an_overlong_reason_is_422(app: App, clerk: httpx.AsyncClient) -> None:
    r = await clerk.post("/cases", json=SUBMISSION)
    case = await case_when(clerk, r.json()["case_id"], lambda c: len(c["tasks"]) == 5)
    task = case["tasks"][0]["task_id"]
    r = await decide(clerk, task, outcome="reject", reasons=["x" * (limits.MAX_TEXT + 1)])
    assert r.status_code == 422
    assert [d["field"] for d in r.json()["detail"]] == ["body.reasons.0"]


async def test_a_nul_character_is_refused_and_does_not_hold_up_postgresql(pg_app: App) -> None:
    """PostgreSQL stores no NUL in text or jsonb: retried, such a record would hold its
    partition up for good. It is dead-lettered; the record behind it is applied."""
    from tests.e2e.kafka_util import Produce

    topic = pg_app.settings.topics.decisions
    async with Produce(pg_app.settings.kafka_bootstrap) as produce:
        bad = envelope(
            "DecisionMade",
            "NUL-CASE",
            {"department": "fire", "outcome": "reject", "reasons": ["a\u0000b"], "reviewer": "r"},
        )
        nul = await produce.event(topic, bad)
        after = await produce.event(
            topic,
            envelope(
                "DecisionMade",
                "NUL-CASE",
                {"department": "fire", "outcome": "approve", "reviewer": "r"},
            ),
        )
    dl = await read_until(
        pg_app.settings.kafka_bootstrap, pg_app.settings.topics.dead_letters, dead_letter_for(nul)
    )
    assert dl["data"]["error"] == "invalid_payload" and "U+0000" in dl["data"]["detail"]
    behind = await read_until(
        pg_app.settings.kafka_bootstrap, pg_app.settings.topics.dead_letters, dead_letter_for(after)
    )
    assert behind["data"]["error"] == "unknown_case"  # read, applied, refused on its merits
