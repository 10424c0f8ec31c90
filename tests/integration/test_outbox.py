"""Nothing acknowledged is lost while the relay is down: the outbox holds it until it is back."""

from __future__ import annotations

import asyncio
import json

import httpx
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer

from deploy.stack import EmbeddedStack
from services.relay import OutboxRelay, make_producer
from services.runner import Parts
from store.schema import outbox
from tests.e2e.test_api import SUBMISSION
from tests.stack import running_app


async def test_submission_survives_a_relay_outage(stack: EmbeddedStack, tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    async with running_app(
        stack.temporal_address, stack.kafka_bootstrap, url, Parts(relay=False)
    ) as app:
        async with httpx.AsyncClient(base_url=app.api_url) as http:
            r = await http.post("/cases", json=SUBMISSION)
        assert r.status_code == 202
        case_id = r.json()["case_id"]
        async with app.deps.sessions() as s:
            unsent = (await s.execute(sa.select(outbox).where(outbox.c.sent_at.is_(None)))).all()
        assert [row.key for row in unsent] == [case_id]

        producer = make_producer(stack.kafka_bootstrap)
        await producer.start()
        try:
            assert await OutboxRelay(app.deps, producer).run_once() == 1
        finally:
            await producer.stop()

        consumer = AIOKafkaConsumer(
            app.settings.topics.review_tasks,
            bootstrap_servers=stack.kafka_bootstrap,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        try:
            async with asyncio.timeout(30):
                async for msg in consumer:
                    if json.loads(msg.value)["case_id"] == case_id:
                        break
        finally:
            await consumer.stop()
        async with app.deps.sessions() as s:
            sent = (
                await s.execute(sa.select(outbox.c.sent_at).where(outbox.c.key == case_id))
            ).all()
        assert sent and sent[0].sent_at is not None
