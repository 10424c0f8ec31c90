"""The outbox relay: publishes committed outbox rows to Kafka, then marks them sent.

At least once: a crash between publish and mark re-publishes; consumers de-duplicate by event
id. The broker keeps topics in memory, so the outbox (not Kafka) is what survives restarts.

No row can wedge it. Rows of one key (a case) go in id order, one after the other; different
keys go side by side. A row the broker refuses is retried with backoff and parked after
`LIANBAN_RELAY_MAX_ATTEMPTS` (at once when it can never succeed, e.g. too large); only the later
rows of its own key wait behind it. A broker that refuses everything is an outage, not a bad
row: nothing is counted against the rows, and the relay backs off as a whole.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from infra.bootstrap import Deps
from infra.failpoints import failpoint
from store import outbox as box

log = logging.getLogger("lianban.relay")
# The producer refuses a larger record itself, before it can fail a whole produce request
# (the embedded broker's limit is 1 MiB per record); nothing legitimate comes near it.
MAX_RECORD_BYTES = 1_000_000


def make_producer(bootstrap: str) -> AIOKafkaProducer:
    # acks=all without idempotence: the embedded broker rejects InitProducerId (stack.md).
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        linger_ms=5,
        enable_idempotence=False,
        max_request_size=MAX_RECORD_BYTES,
    )


def _transient(exc: BaseException) -> bool:
    """The broker's trouble (worth retrying), not the record's."""
    if isinstance(exc, KafkaConnectionError | KafkaTimeoutError | asyncio.TimeoutError):
        return True
    return isinstance(exc, KafkaError) and bool(getattr(exc, "retriable", False))


def retry_delay(attempts: int) -> timedelta:
    """1 s, 2 s, 4 s … capped at 60 s, after the `attempts`-th failure."""
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), 60))


@dataclass
class Outcome:
    sent: list[int]
    failed: list[tuple[box.OutboxRow, BaseException]]


class OutboxRelay:
    def __init__(self, deps: Deps, producer: AIOKafkaProducer) -> None:
        self.deps = deps
        self.producer = producer
        self.published = 0
        self.parked = 0

    async def _send(self, row: box.OutboxRow) -> None:
        headers = [(k, str(v).encode()) for k, v in (row.headers or {}).items()]
        delivered = await self.producer.send(
            row.topic, row.value.encode(), key=row.key.encode(), headers=headers
        )
        await delivered

    async def _send_key(self, rows: list[box.OutboxRow], outcome: Outcome) -> None:
        # In order; the first failure holds back the rest of this key until its retry.
        for row in rows:
            try:
                await self._send(row)
            except Exception as exc:
                outcome.failed.append((row, exc))
                return
            outcome.sent.append(row.id)

    async def run_once(self) -> int:
        """Publish one batch of rows that may go now; returns how many were published."""
        now = datetime.now(UTC)
        async with self.deps.sessions() as s:
            rows = await box.next_batch(s, self.deps.settings.relay_batch, now)
        if not rows:
            return 0
        by_key: dict[str, list[box.OutboxRow]] = defaultdict(list)
        for row in rows:
            by_key[row.key].append(row)
        outcome = Outcome([], [])
        await asyncio.gather(*(self._send_key(key_rows, outcome) for key_rows in by_key.values()))
        failpoint("relay.after_publish")
        outage = not outcome.sent and all(_transient(e) for _, e in outcome.failed)
        await self._record(outcome, outage=outage)
        if outage:
            raise outcome.failed[0][1]  # `run` backs off; no row is blamed
        return len(outcome.sent)

    async def _record(self, outcome: Outcome, *, outage: bool) -> None:
        now = datetime.now(UTC)
        async with self.deps.sessions() as s, s.begin():
            await box.mark_sent(s, outcome.sent, now)
            if outage:
                return
            for row, exc in outcome.failed:
                await self._failed(s, row, exc, now)
        self.published += len(outcome.sent)

    async def _failed(
        self, s: AsyncSession, row: box.OutboxRow, exc: BaseException, now: datetime
    ) -> None:
        attempts = row.attempts + 1
        give_up = not _transient(exc) or attempts >= self.deps.settings.relay_max_attempts
        error = f"{type(exc).__name__}: {exc}"
        retry_at = None if give_up else now + retry_delay(attempts)
        await box.record_failure(s, row.id, error, now, retry_at=retry_at)
        if give_up:
            self.parked += 1
            log.error(
                "outbox row %s (key %s) parked after %d attempts: %s",
                row.id,
                row.key,
                attempts,
                error,
            )
        else:
            log.warning(
                "outbox row %s (key %s) failed, retry at %s: %s", row.id, row.key, retry_at, error
            )

    async def run(self, stop: asyncio.Event) -> None:
        idle = self.deps.settings.relay_idle_seconds
        outage = 0
        while not stop.is_set():
            try:
                sent = await self.run_once()
                outage = 0
            except (TimeoutError, KafkaError, DBAPIError, OSError) as exc:
                outage += 1
                delay = min(0.5 * 2 ** (outage - 1), 10.0)
                log.warning(
                    "relay cannot publish (%r); rows stay unsent, retry in %.1f s", exc, delay
                )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=delay)
                continue
            if sent == 0:
                await self.deps.outbox.wait(idle)  # until a writer commits rows, or `idle` s
