"""The outbox relay: publishes committed outbox rows to Kafka, then marks them sent.

At least once: a crash between publish and mark re-publishes; consumers de-duplicate by event
id. The broker keeps topics in memory, so the outbox (not Kafka) is what survives restarts.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError

from infra.bootstrap import Deps
from store.schema import outbox

log = logging.getLogger("lianban.relay")


def make_producer(bootstrap: str) -> AIOKafkaProducer:
    # acks=all without idempotence: the embedded broker rejects InitProducerId (stack.md).
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", linger_ms=5, enable_idempotence=False
    )


class OutboxRelay:
    def __init__(self, deps: Deps, producer: AIOKafkaProducer) -> None:
        self.deps = deps
        self.producer = producer
        self.published = 0

    async def run_once(self) -> int:
        """Publish one batch of unsent rows; returns how many."""
        limit = self.deps.settings.relay_batch
        async with self.deps.sessions() as s:
            rows = (
                await s.execute(
                    sa.select(
                        outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.value, outbox.c.headers
                    )
                    .where(outbox.c.sent_at.is_(None))
                    .order_by(outbox.c.id)
                    .limit(limit)
                )
            ).all()
        if not rows:
            return 0
        futures = [
            await self.producer.send(
                r.topic,
                r.value.encode(),
                key=r.key.encode(),
                headers=[(k, str(v).encode()) for k, v in (r.headers or {}).items()],
            )
            for r in rows
        ]
        await asyncio.gather(*futures)
        async with self.deps.sessions() as s, s.begin():
            await s.execute(
                sa.update(outbox)
                .where(outbox.c.id.in_([r.id for r in rows]))
                .values(sent_at=datetime.now(UTC))
            )
        self.published += len(rows)
        return len(rows)

    async def run(self, stop: asyncio.Event) -> None:
        idle = self.deps.settings.relay_idle_seconds
        while not stop.is_set():
            try:
                sent = await self.run_once()
            except (KafkaError, DBAPIError) as exc:
                log.warning("publish failed (%r); the rows stay unsent and are retried", exc)
                await asyncio.sleep(1.0)
                continue
            if sent == 0:
                await self.deps.outbox.wait(idle)  # until a writer commits rows, or `idle` s
