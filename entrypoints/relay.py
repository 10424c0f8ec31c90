"""The outbox relay: publishes committed outbox rows to Kafka, then marks them sent.

At least once: a crash between publish and mark re-publishes; consumers de-duplicate by event
id. The broker keeps topics in memory, so the outbox (not Kafka) is what survives restarts.

No row can wedge it. Rows of one key (a case) go in id order, one after the other; different
keys go side by side. A row the broker refuses is retried with backoff and parked after
`LIANBAN_RELAY_MAX_ATTEMPTS` (at once when it can never succeed, e.g. too large); only the later
rows of its own key wait behind it. A broker that refuses everything is an outage, not a bad
row: nothing is counted against the rows, and the relay backs off as a whole.

A broker that loses what it acknowledged (the embedded one keeps topics in memory; a real
cluster's topic can be deleted and recreated) is found by comparing it with what the relay
published (`infra.broker_loss`): every `LIANBAN_BROKER_CHECK_SECONDS` (are the topics there,
and the last record published to each partition still at its offset?), and at once when the
producer is given an offset that went backwards. Then, with publishing paused, the relay
recreates the topics, publishes again every row sent since the broker was last seen whole and
the review task of every open task, each with its own event id, and resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError, UnknownError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from infra import kafka_client, metrics, periodic
from infra.bootstrap import Deps
from infra.broker_loss import BrokerLedger, identity, recovery_log
from infra.broker_probe import BrokerProbe
from infra.failpoints import failpoint
from infra.kafka_client import KafkaTarget
from infra.kafka_topics import TopicsError, ensure_topics
from infra.pg_listen import PgListener
from store import outbox as box
from store.failures import storage_failure
from store.schema import OUTBOX_CHANNEL

log = logging.getLogger("lianban.relay")
# The producer refuses a larger record itself, before it can fail a whole produce request
# (the embedded broker's limit is 1 MiB per record); nothing legitimate comes near it.
MAX_RECORD_BYTES = 1_000_000
LISTENER = "lianban-outbox-relay"  # its listening connection's application_name


def make_producer(target: KafkaTarget) -> AIOKafkaProducer:
    # acks=all without idempotence: the embedded broker rejects InitProducerId
    # (docs/production.md, "The embedded stack").
    return kafka_client.producer(
        target,
        acks="all",
        linger_ms=5,
        enable_idempotence=False,
        max_request_size=MAX_RECORD_BYTES,
    )


def _transient(exc: BaseException) -> bool:
    """The broker's trouble (worth retrying), not the record's. An unknown server error counts:
    the embedded broker answers one to the first records produced to a partition it held
    records for before it knew the topic again (a restart that lost its topics)."""
    if isinstance(exc, KafkaConnectionError | KafkaTimeoutError | asyncio.TimeoutError):
        return True
    if isinstance(exc, UnknownError):
        return True
    return isinstance(exc, KafkaError) and bool(getattr(exc, "retriable", False))


def retry_delay(attempts: int) -> timedelta:
    """1 s, 2 s, 4 s … capped at 60 s, after the `attempts`-th failure."""
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), 60))


@dataclass
class Outcome:
    sent: list[int]
    failed: list[tuple[box.OutboxRow, BaseException]]


# On SQLite nothing tells a relay of rows another process committed (PostgreSQL NOTIFYs): a
# relay that does not share its process with the parts that write rows polls this often.
APART_ON_SQLITE_POLL = 0.05


class OutboxRelay:
    def __init__(
        self, deps: Deps, producer: AIOKafkaProducer, *, writers_here: bool = True
    ) -> None:
        """`writers_here`: the worker, the consumers and the API run in this process too, so
        each of their commits that wrote rows wakes this relay."""
        self.deps = deps
        self.producer = producer
        self.published = 0
        self.parked = 0
        s = deps.settings
        self.ledger = BrokerLedger()
        self.recoveries = recovery_log(s.kafka_bootstrap, s.topic_prefix)
        self._probe = BrokerProbe(s, timeout=10.0)
        # Publishing and checking the broker take turns: a check sees no publish in flight,
        # and a recovery finishes before anything is published to the recreated topics.
        self._turn = asyncio.Lock()
        self._suspect = asyncio.Event()
        self._whole_since: datetime | None = None  # the start of the last check that passed
        self._partitions: dict[str, int] = {}  # each topic's partition count, as last seen whole
        # Several relays may run side by side on PostgreSQL (they lock the cases they publish);
        # on SQLite one relay runs (one machine, one writer).
        self._side_by_side = not s.database_url.startswith("sqlite")
        self.idle_seconds = s.relay_idle_seconds
        if not self._side_by_side and not writers_here:
            self.idle_seconds = min(self.idle_seconds, APART_ON_SQLITE_POLL)

    async def _send(self, row: box.OutboxRow) -> None:
        headers = [(k, str(v).encode()) for k, v in (row.headers or {}).items()]
        value = row.value.encode()
        delivered = await self.producer.send(
            row.topic, value, key=row.key.encode(), headers=headers
        )
        meta = await delivered
        if metrics.enabled():
            metrics.RELAY_PUBLISHED.labels(row.topic).inc()
            if row.created_at is not None:
                waited = (datetime.now(UTC) - row.created_at).total_seconds()
                metrics.RELAY_LATENCY.observe(max(waited, 0.0))
        if meta is None:  # a stand-in producer (tests)
            return
        if self.ledger.published(meta.topic, meta.partition, meta.offset, identity(value)):
            self._suspect.set()  # an offset went backwards: check the broker now

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
        """Publish one batch of rows that may go now; returns how many were published. Raises
        when the broker refused every row (an outage: `run` backs off, no row is blamed)."""
        outcome = await (self._run_claimed() if self._side_by_side else self._run_alone())
        if outcome is None:
            return 0
        if self._outage(outcome):
            raise outcome.failed[0][1]
        return len(outcome.sent)

    async def _run_alone(self) -> Outcome | None:
        """One relay: read the batch, publish it, then mark it in a transaction of its own."""
        now = datetime.now(UTC)
        async with self.deps.sessions() as s:
            rows = await box.next_batch(s, self.deps.settings.relay_batch, now)
        if not rows:
            return None
        outcome = await self._publish(rows)
        async with self.deps.sessions() as s, s.begin():
            await self._record(s, outcome)
        return outcome

    async def _run_claimed(self) -> Outcome | None:
        """PostgreSQL: the rows' keys locked for this transaction, published, marked, then
        committed: another relay takes other keys meanwhile. Killed mid-way, the transaction
        rolls back and the rows go again (at least once; consumers de-duplicate)."""
        now = datetime.now(UTC)
        async with self.deps.sessions() as s, s.begin():
            rows = await box.claim_batch(s, self.deps.settings.relay_batch, now)
            if not rows:
                return None
            outcome = await self._publish(rows)
            await self._record(s, outcome)
        return outcome

    async def _publish(self, rows: list[box.OutboxRow]) -> Outcome:
        by_key: dict[str, list[box.OutboxRow]] = defaultdict(list)
        for row in rows:
            by_key[row.key].append(row)
        outcome = Outcome([], [])
        await asyncio.gather(*(self._send_key(key_rows, outcome) for key_rows in by_key.values()))
        failpoint("relay.after_publish")
        return outcome

    @staticmethod
    def _outage(outcome: Outcome) -> bool:
        return not outcome.sent and all(_transient(e) for _, e in outcome.failed)

    async def _record(self, s: AsyncSession, outcome: Outcome) -> None:
        """Mark what was sent and count what failed (nothing is counted in an outage)."""
        now = datetime.now(UTC)
        await box.mark_sent(s, outcome.sent, now)
        if not self._outage(outcome):
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
            if metrics.enabled():
                metrics.RELAY_PARKED.labels(row.topic).inc()
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

    # ------------------------------------------------------------------ broker loss

    async def check_broker(self) -> bool:
        """Compare the broker with what was published; recover when it lost records (True).

        The broker is read without holding up publishing (its answers can take seconds);
        only the verdict on what was read, and a recovery, take the publisher's turn."""
        started = datetime.now(UTC)
        topics = self.deps.topics.all()
        present = set(await self._probe.topics())
        # Only where the topic is listed: naming a missing one makes the embedded broker
        # create it, with what it kept from records sent there meanwhile.
        snapshot = {k: v for k, v in self.ledger.snapshot().items() if k[0] in present}
        found = await self._probe.records_at({k: offset for k, (offset, _) in snapshot.items()})
        empty, published_to = await self._unseen_and_published(topics, present)
        async with self._turn:
            reason = self.ledger.check(topics, present, found, empty, published_to, snapshot)
            if reason is not None:
                await self._recover(reason)
                return True
        if not present.issuperset(topics):  # new ones, never published to: create
            await ensure_topics(self.deps.settings, topics)
        counted = [t for t in topics if t in present and t not in self._partitions]
        self._partitions |= await self._probe.partition_counts(counted)
        await self._watch_idle_partitions(present)
        self._whole_since = started
        return False

    async def _watch_idle_partitions(self, present: set[str]) -> None:
        """Give each partition of the topics the relay publishes to a record to watch, before
        it publishes there itself: the last one the partition holds."""
        t = self.deps.topics
        ours = [
            topic for topic in (t.review_tasks, t.case_events, t.dead_letters) if topic in present
        ]
        watched = self.ledger.last_records()
        ours = [
            topic
            for topic in ours
            if any((topic, p) not in watched for p in range(self._partitions.get(topic, 1)))
        ]
        if not ours:
            return
        ends = await self._probe.end_offsets(ours)
        # The end is one past the last record (on the embedded broker: one past the first
        # record of the last batch); either way a record is there.
        wanted = {key: end - 1 for key, end in ends.items() if end > 0 and key not in watched}
        for (topic, partition), ident in (await self._probe.records_at(wanted)).items():
            if ident is not None:
                self.ledger.adopt(topic, partition, wanted[(topic, partition)], ident)

    async def _unseen_and_published(
        self, topics: list[str], present: set[str]
    ) -> tuple[set[str], set[str]]:
        """Of the topics not seen before: the present ones holding no record, and those of
        them or of the missing ones the outbox says were published to (the relay restarted
        with the broker). Topics seen before need neither look."""
        unseen = [t for t in topics if not self.ledger.known(t)]
        if not unseen:
            return set(), set()
        ends = await self._probe.end_offsets([t for t in unseen if t in present])
        empty = {
            t
            for t in unseen
            if t in present and not any(end for (name, _), end in ends.items() if name == t)
        }
        maybe_lost = [t for t in unseen if t not in present or t in empty]
        if not maybe_lost:
            return empty, set()
        async with self.deps.sessions() as s:
            return empty, {t for t in maybe_lost if await box.has_sent(s, t)}

    async def _recover(self, reason: str) -> None:
        """Topics back, then publish again what they lost that still matters. Holds the turn."""
        s = self.deps.settings
        log.error("the broker lost records (%s): recreating topics and publishing again", reason)
        # As many partitions as before (a case's events keep going to one partition).
        counts = self.ledger.partitions() | self._partitions
        created = await ensure_topics(s, self.deps.topics.all(), counts)
        since = self._whole_since
        async with self.deps.sessions() as session, session.begin():
            # Since the last check that found the broker whole: these may have been lost, or
            # acknowledged into a topic the broker no longer had (the embedded one does that).
            again = await box.resend_since(session, since) if since is not None else 0
            # Older records lost with the broker: what departments still need are the tasks.
            tasks = await box.resend_open_review_tasks(session, self.deps.topics.review_tasks)
        self.ledger.reset(self.deps.topics.all())
        self._whole_since = datetime.now(UTC)
        self.recoveries.record(self._whole_since, reason, again + tasks)
        log.error(
            "broker loss recovered: topics recreated %s; %d events sent since %s and %d review "
            "tasks of open cases published again with their event ids",
            created or "(none missing)",
            again,
            since.isoformat() if since else "start-up",
            tasks,
        )
        self.deps.notify_outbox()

    async def watch_broker(self, stop: asyncio.Event) -> None:
        """Check the broker every `broker_check_seconds`, or at once when an offset went back."""
        every = self.deps.settings.broker_check_seconds
        failing = False
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._suspect.wait(), timeout=every)
            self._suspect.clear()
            if stop.is_set():
                return
            failing = not await self._check_quietly(failing)

    async def _check_quietly(self, failing: bool = False) -> bool:
        """`check_broker`, logging instead of raising; False when it could not check."""
        try:
            await self.check_broker()
        except (TimeoutError, KafkaError, DBAPIError, OSError, TopicsError) as exc:
            # Down or restarting: the publish loop backs off; the next check will tell.
            if not failing:
                log.warning("cannot compare the broker with the outbox: %r", exc)
            return False
        except Exception:
            log.exception("checking the broker for lost records failed")
            return False
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until `stop`, checking the broker beside it (first before publishing)."""
        await self._check_quietly()
        watch = asyncio.create_task(self.watch_broker(stop), name="relay-broker-watch")
        listener = self._listener()
        try:
            await self._publish_loop(stop)
        finally:
            await periodic.cancel(watch)
            if listener is not None:
                await listener.close()
            await self.close()

    def _listener(self) -> PgListener | None:
        """PostgreSQL: woken by the NOTIFY of any process's commit that wrote outbox rows
        (`store.schema.OUTBOX_CHANNEL`), not only by this process's own; at each (re)connection
        too, for what was written while nobody listened. The poll stays, should it be lost."""
        if not self._side_by_side:
            return None
        wake = self.deps.notify_outbox
        made = PgListener(
            self.deps.engine, OUTBOX_CHANNEL, LISTENER, "outbox relay", wake, on_connect=wake
        )
        made.start()
        return made

    async def close(self) -> None:
        """Close the clients the broker checks use (`run` does it when it ends)."""
        await self._probe.close()

    async def _publish_loop(self, stop: asyncio.Event) -> None:
        idle = self.idle_seconds
        linger = self.deps.settings.relay_linger_ms / 1000
        outage = 0
        while not stop.is_set():
            try:
                async with self._turn:
                    sent = await self.run_once()
                outage = 0
            except (TimeoutError, KafkaError, DBAPIError, OSError) as exc:
                outage += 1
                delay = min(0.5 * 2 ** (outage - 1), 10.0)
                failure = storage_failure(exc)
                log.log(
                    logging.ERROR if failure is not None and failure.full else logging.WARNING,
                    "relay cannot publish (%s); rows stay unsent, retry in %.1f s",
                    failure.detail if failure is not None else repr(exc),
                    delay,
                )
                await periodic.rest(stop, delay)
                continue
            if sent == 0:
                await self.deps.outbox.wait(idle)  # until a writer commits rows, or `idle` s
            elif sent < self.deps.settings.relay_batch and linger:
                # Under load rows come a few at a time: let some gather (each batch costs
                # the same few statements whatever its size). `stop` ends the wait at once.
                # Also after a single row: every commit that writes rows wakes the relay, and
                # without this pause it would run once per commit (CPU per case +15 %).
                await periodic.rest(stop, linger)
