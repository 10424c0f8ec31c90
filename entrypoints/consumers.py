"""Kafka consumers: submissions start cases, decisions signal them.

Offsets are committed only after the event was applied or dead-lettered. A topic with a batch
handler (submissions: `services.window.submission_batch`; decisions:
`services.departments.decision_batch`) applies a fetch's records in one transaction and hands
back those it left, which are then applied one at a time, each partition in order (all of them
when the batch raised); the offsets of the fetch are committed after both. Infrastructure errors
(Temporal or the database unreachable) are retried in place, so nothing is skipped; anything
else about one event dead-letters that event and the consumer keeps going. Whatever else ends a
consumer (a broker away when it starts, an error no one foresaw) ends only that consumer, which
`serve` starts again with backoff: the process, and the other topic's consumer, go on.

A broker that lost a partition (restarted empty, topic recreated) must not make a consumer skip
what comes next: every `LIANBAN_BROKER_CHECK_SECONDS` each consumer checks that the record it
applied last in each partition is still at its offset, and reads the partition again from its
start when it is not; commits are bounded, since aiokafka retries one to a missing topic
without end.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import TypeVar

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError

from events.limits import MAX_RECORD_BYTES
from events.registry import Decoded, EventRejected, decode
from infra import kafka_client, logs, metrics, periodic, transient
from infra.bootstrap import Deps
from infra.broker_loss import identity
from infra.broker_probe import BrokerProbe
from infra.failpoints import failpoint
from services.errors import Refused
from services.handlers import (
    BatchHandler,
    Handler,
    batch_handler_for_topic,
    handler_for_topic,
    topic_events,
)
from services.operators.deadletters import SourceRecord, dead_letter
from store.failures import storage_failure

log = logging.getLogger("lianban.consumers")
T = TypeVar("T")
COMMIT_TIMEOUT = 10.0
RESTART_FIRST, RESTART_MAX = 1.0, 60.0  # seconds before a failed consumer starts again
# What is retried in place, never dead-lettered: Temporal, the database or the network away
# (`infra.transient`), or the broker.
TRANSIENT: tuple[type[Exception], ...] = (*transient.TRANSIENT, KafkaError)


def _headers(rec: ConsumerRecord) -> tuple[tuple[str, bytes], ...]:
    return tuple((key, value or b"") for key, value in rec.headers or ())


def _as_received(ev: Decoded, rec: ConsumerRecord) -> Decoded:
    """The event with the record it came in (bytes and headers: a signature is checked over
    them). A producer may carry trace context only in the Kafka header (any client can)."""
    ev = replace(ev, record=rec.value, headers=_headers(rec))
    if ev.envelope.traceparent:
        return ev
    for key, value in ev.headers:
        if key == "traceparent" and value:
            return replace(
                ev, envelope=ev.envelope.model_copy(update={"traceparent": value.decode()})
            )
    return ev


def _decoded(rec: ConsumerRecord) -> Decoded | None:
    """The record decoded for a batch; None for one left out (too large, not an event): it is
    applied alone, which dead-letters it with its reason."""
    if len(rec.value or b"") > MAX_RECORD_BYTES:
        return None
    try:
        return _as_received(decode(rec.value or b""), rec)
    except EventRejected:
        return None


class EventConsumer:
    """One consumer group member applying one topic with one handler."""

    def __init__(
        self,
        deps: Deps,
        topic: str,
        handler: Handler,
        *,
        group: str | None = None,
        batch_handler: BatchHandler | None = None,
    ):
        self.deps = deps
        self.topic = topic
        self.role = topic.rsplit(".", 1)[-1]  # submissions, decisions
        self.handler = handler
        self.batch_handler = batch_handler  # a fetch in one transaction; `handler` the rest
        self.batches = 0  # fetches applied together (tests read it)
        self.group = group or f"{deps.settings.consumer_group}.{topic}"
        self.applied = 0
        self.dead_lettered = 0
        self.assigned = asyncio.Event()
        self.restarts = 0  # times `serve` started it again after a failure
        # Per partition, the last record applied (offset, identity): still there?
        self._last: dict[TopicPartition, tuple[int, str]] = {}

    async def _apply(self, rec: ConsumerRecord) -> None:
        source = SourceRecord(
            rec.topic, rec.partition, rec.offset, rec.key, rec.value, _headers(rec)
        )
        case_id = None
        size = len(rec.value or b"")
        if size > MAX_RECORD_BYTES:  # never decoded: a dead letter with an excerpt and a digest
            detail = f"record of {size} bytes, over the limit of {MAX_RECORD_BYTES} bytes"
            await self._dead_letter(source, "too_large", detail, None)
            return
        try:
            decoded = _as_received(decode(rec.value or b""), rec)
            case_id = decoded.envelope.case_id
            # Lines logged while the event is applied name its case and trace.
            logs.set_case(case_id, decoded.envelope.traceparent)
            await self.handler(self.deps, decoded)
            self.applied += 1
            if metrics.enabled():
                metrics.RECORDS.labels(self.topic, "applied").inc()
            return
        except EventRejected as exc:
            error, detail = exc.code, exc.detail
        except Refused as exc:
            error, detail = exc.code, exc.detail
        except TRANSIENT:
            raise
        except Exception as exc:  # a bug on one event must not stop the topic
            log.exception(
                "unexpected error applying %s/%s/%s", rec.topic, rec.partition, rec.offset
            )
            error, detail = "processing_failed", f"{type(exc).__name__}: {exc}"
        log.warning("dead-lettering %s/%s/%s: %s", rec.topic, rec.partition, rec.offset, error)
        await self._dead_letter(source, error, detail, case_id)

    async def _dead_letter(
        self, source: SourceRecord, error: str, detail: str, case_id: str | None
    ) -> None:
        await dead_letter(self.deps, source, error, detail, case_id)
        self.dead_lettered += 1
        if metrics.enabled():
            metrics.RECORDS.labels(self.topic, "dead_lettered").inc()
            metrics.DEAD_LETTERS.labels(self.topic, metrics.label_of(error)).inc()

    async def _apply_with_retry(self, rec: ConsumerRecord, stop: asyncio.Event) -> None:
        await self._retrying(lambda: self._apply(rec), f"{rec.topic}/{rec.offset}", stop)

    async def _retrying(
        self, attempt: Callable[[], Awaitable[T]], where: str, stop: asyncio.Event
    ) -> T:
        """`attempt()` until it does not fail transiently (Temporal or the database away)."""
        delay = 0.2
        while True:
            try:
                return await attempt()
            except TRANSIENT as exc:
                if stop.is_set():
                    raise
                if metrics.enabled():
                    metrics.TRANSIENT.labels(self.topic).inc()
                failure = storage_failure(exc)
                if failure is not None and failure.full:  # nothing moves until it is fixed
                    log.error("%s: %s; retrying", where, failure.detail)
                else:
                    log.warning("transient error on %s: %r; retrying", where, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _apply_batch(
        self, batch: dict[TopicPartition, list[ConsumerRecord]], stop: asyncio.Event
    ) -> None:
        """The fetch in one transaction (`batch_handler`), then what it left one at a time,
        each partition in order; every record of the fetch alone when the batch failed."""
        records = [rec for recs in batch.values() for rec in recs]
        left: set[int] = set(range(len(records)))
        if self.batch_handler is not None and len(records) > 1:
            where = f"a batch of {len(records)} on {self.topic}"
            left = await self._retrying(lambda: self._together(records), where, stop)
        position = {id(rec): i for i, rec in enumerate(records)}
        alone = [[r for r in recs if position[id(r)] in left] for recs in batch.values()]
        await asyncio.gather(*(self._partition(recs, stop) for recs in alone if recs))

    async def _together(self, records: list[ConsumerRecord]) -> set[int]:
        """The indexes of `records` left to apply alone: those the batch left, or all of them
        when one could not be taken (rolled back: each is then applied or dead-lettered alone)."""
        assert self.batch_handler is not None
        every = set(range(len(records)))
        readable = [(i, ev) for i, r in enumerate(records) if (ev := _decoded(r)) is not None]
        if len(readable) < 2:
            return every
        try:
            with logs.case_context(None):
                events = [ev for _, ev in readable]
                left_of = set(await self.batch_handler(self.deps, events))
        except TRANSIENT:
            raise
        except Exception as exc:
            log.info(
                "%s: a batch of %d not applied together (%s: %s); applying each alone",
                self.topic,
                len(records),
                type(exc).__name__,
                exc,
            )
            return every
        left = every - {i for j, (i, _) in enumerate(readable) if j not in left_of}
        self.batches += 1
        together = len(records) - len(left)
        self.applied += together
        if metrics.enabled():
            metrics.RECORDS.labels(self.topic, "applied").inc(together)
        return left

    async def _partition(self, records: list[ConsumerRecord], stop: asyncio.Event) -> None:
        # One partition's records in order; different partitions run side by side (each in a
        # task of its own, so the case a line is logged for is this partition's).
        for rec in records:
            with logs.case_context(None):
                await self._apply_with_retry(rec, stop)

    async def serve(self, stop: asyncio.Event) -> None:
        """`run` until `stop` is set, started again whenever something ends it: a consumer's
        failure must end neither the process nor the other topic's consumer (a rebalance during
        a rolling upgrade, a broker restarting). Waits 1 s, then twice as long each time in a
        row, at most a minute; a run that lasted longer than that starts the count over."""
        delay = RESTART_FIRST
        while not stop.is_set():
            began = time.monotonic()
            try:
                await self.run(stop)
                continue  # it returns only once `stop` is set
            except Exception:
                log.exception(
                    "the %s consumer failed; starting it again in %.0f s", self.role, delay
                )
            self.restarts += 1
            await periodic.rest(stop, delay)
            ran_long = time.monotonic() - began > RESTART_MAX + delay
            delay = RESTART_FIRST if ran_long else min(delay * 2, RESTART_MAX)

    async def run(self, stop: asyncio.Event) -> None:
        self._last.clear()  # a new member of the group: what it applies from here on
        consumer = kafka_client.consumer(
            self.deps.settings,
            self.topic,
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            fetch_max_wait_ms=self.deps.settings.kafka_fetch_wait_ms,
            session_timeout_ms=self.deps.settings.kafka_session_timeout_ms,
            heartbeat_interval_ms=self.deps.settings.kafka_session_timeout_ms // 3,
        )
        probe = BrokerProbe(self.deps.settings, timeout=10.0)
        check = LossCheck(probe, self.deps.settings.broker_check_seconds, self.topic)
        try:
            await consumer.start()
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=200, max_records=500)
                if consumer.assignment():
                    self.assigned.set()
                await self._rewind(consumer, check)
                if not batch:
                    continue
                await self._apply_batch(batch, stop)
                failpoint(f"consumer.before_commit.{self.role}")
                await self._commit(consumer, batch)
                for tp, recs in batch.items():
                    self._last[tp] = (recs[-1].offset, identity(recs[-1].value))
        finally:
            await check.cancel()
            await consumer.stop()
            await probe.close()

    async def _commit(
        self, consumer: AIOKafkaConsumer, batch: dict[TopicPartition, list[ConsumerRecord]]
    ) -> None:
        # A rebalance while the batch was applied (another member joined or left: a rolling
        # upgrade) may have given some of its partitions to another member, and committing for
        # a partition no longer ours raises IllegalStateError. Their new owner reads them again
        # from the last commit; the handlers are idempotent, so nothing is lost or doubled.
        assigned = consumer.assignment()
        offsets = {tp: recs[-1].offset + 1 for tp, recs in batch.items() if tp in assigned}
        if len(offsets) < len(batch):
            log.warning(
                "%s: %d partition(s) of the batch went to another member before the commit; "
                "it will read them again",
                self.topic,
                len(batch) - len(offsets),
            )
        if not offsets:
            return
        try:
            # aiokafka retries a commit for as long as the broker answers "unknown topic", which
            # a broker that lost the topic does until it is created again: bounded here.
            await asyncio.wait_for(consumer.commit(offsets), COMMIT_TIMEOUT)
        except (CommitFailedError, IllegalStateError) as exc:
            # The group rebalanced between the check above and the commit (aiokafka #929).
            log.warning("commit failed after a rebalance (%r); records will be redelivered", exc)
        except TimeoutError:
            log.warning(
                "commit of %s not done in %.0f s (has the broker lost the topic?); the records "
                "will be redelivered if the group re-reads them",
                self.topic,
                COMMIT_TIMEOUT,
            )

    async def _rewind(self, consumer: AIOKafkaConsumer, check: LossCheck) -> None:
        """Read again from their start the partitions `check` found lost (those still ours):
        the record applied there last is no longer at its offset."""
        assigned = consumer.assignment()
        for tp in [tp for tp in self._last if tp not in assigned]:
            del self._last[tp]  # another member's now
        lost = [tp for tp in check.lost(self._last) if tp in assigned]
        if not lost:
            return
        log.warning(
            "%s: partitions %s no longer hold the records applied last (the broker lost "
            "them); reading them again from the start",
            self.topic,
            sorted(tp.partition for tp in lost),
        )
        for tp in lost:
            self._last.pop(tp, None)
        await consumer.seek_to_beginning(*lost)


class LossCheck:
    """Every `every` seconds, whether each partition still holds, at its offset, the record a
    consumer applied there last; beside the consumer's fetches, never in their way.

    A Kafka cluster answers a fetch beyond a partition's end with OffsetOutOfRange (and
    `auto_offset_reset="earliest"` re-reads); the embedded broker answers with nothing until
    the partition grows past our position, and a recreated partition can grow past it before
    we look: what comes first would be skipped without a word. Handlers are idempotent, so
    re-reading is safe. The look at the broker takes a fetch of its own (tens of ms): awaited
    in the consumer's loop it held up every record arriving meanwhile (bench.latency --split at
    30 decisions/s: from producer to consumer p99 90 ms with it inline, 21 ms without it), so
    it runs in a task and the loop only collects what it found.
    """

    def __init__(self, probe: BrokerProbe, every: float, topic: str) -> None:
        self.probe = probe
        self.every = every
        self.topic = topic
        self._next = time.monotonic() + every
        self._task: asyncio.Task[list[TopicPartition]] | None = None

    def lost(self, last: dict[TopicPartition, tuple[int, str]]) -> list[TopicPartition]:
        """The partitions the last finished look found lost (once); starts the next look
        when it is due, with what `last` holds now."""
        found: list[TopicPartition] = []
        if self._task is not None and self._task.done():
            found = self._task.result()  # what `_look` does not catch ends the consumer
            self._task = None
            self._next = time.monotonic() + self.every
        if self._task is None and last and time.monotonic() >= self._next:
            self._task = asyncio.create_task(self._look(dict(last)), name=f"loss-{self.topic}")
        return found

    async def _look(self, last: dict[TopicPartition, tuple[int, str]]) -> list[TopicPartition]:
        try:
            found = await self.probe.records_at(
                {(tp.topic, tp.partition): offset for tp, (offset, _) in last.items()}
            )
        except (KafkaError, TimeoutError) as exc:
            log.debug("cannot look for lost records of %s: %r", self.topic, exc)
            return []
        return [
            tp
            for tp, (_, ident) in last.items()
            if (tp.topic, tp.partition) in found and found[(tp.topic, tp.partition)] != ident
        ]

    async def cancel(self) -> None:
        await periodic.cancel(self._task)
        self._task = None


def build_consumers(deps: Deps) -> list[EventConsumer]:
    """One consumer per incoming topic, each applying its events through the routing table."""
    consumers = []
    for topic in topic_events(deps):
        handler = handler_for_topic(deps, topic)
        assert handler is not None
        together = batch_handler_for_topic(deps, topic)
        consumers.append(EventConsumer(deps, topic, handler, batch_handler=together))
    return consumers
