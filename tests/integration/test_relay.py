"""No row can wedge the outbox relay: a row the broker refuses is parked with its error, only
the later rows of its own case wait, every other case flows; an operator's discard or retry
releases the case; a broker outage blames no row."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError

from entrypoints.devstack.postgres import postgres_database
from entrypoints.devstack.stack import EmbeddedStack
from entrypoints.relay import OutboxRelay, make_producer
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings
from store import outbox as box
from store.schema import outbox

pytestmark = pytest.mark.integration


@pytest.fixture(params=["sqlite", "postgresql"])
async def deps(
    request: pytest.FixtureRequest, tmp_path: Path, stack: EmbeddedStack
) -> AsyncIterator[Deps]:
    """The relay on SQLite (one relay) and on PostgreSQL (relays lock the cases they send)."""
    async with contextlib.AsyncExitStack() as scope:
        url = f"sqlite+aiosqlite:///{tmp_path / 'lianban.db'}"
        if request.param == "postgresql":
            url = await scope.enter_async_context(postgres_database())
        settings = Settings(
            database_url=url,
            kafka_bootstrap=stack.kafka_bootstrap,
            topic_prefix=f"t{uuid.uuid4().hex[:8]}",
            relay_max_attempts=3,
        )
        built = await bootstrap(settings, temporal=False, migrate=True)
        scope.push_async_callback(built.close)
        yield built


@pytest.fixture
async def producer(stack: EmbeddedStack) -> AsyncIterator[AIOKafkaProducer]:
    made = make_producer(stack.kafka_bootstrap)
    await made.start()
    try:
        yield made
    finally:
        await made.stop()


async def _enqueue(deps: Deps, key: str, value: str) -> int:
    """An outbox row as an older release could have written it (no size guard)."""
    async with deps.sessions() as s, s.begin():
        result = await s.execute(
            sa.insert(outbox).values(
                event_id=str(uuid.uuid4()),
                topic=deps.topics.case_events,
                key=key,
                value=value,
                headers={},
                created_at=datetime.now(UTC),
            )
        )
        return int(result.inserted_primary_key[0])  # type: ignore[attr-defined]


async def _sent(deps: Deps) -> set[int]:
    async with deps.sessions() as s:
        rows = await s.execute(sa.select(outbox.c.id).where(outbox.c.sent_at.is_not(None)))
    return {r.id for r in rows}


async def test_a_record_too_large_is_parked_and_holds_back_only_its_case(
    deps: Deps, producer: AIOKafkaProducer
) -> None:
    big = await _enqueue(deps, "CASE-A", "x" * 1_500_000)
    after_big = await _enqueue(deps, "CASE-A", '{"n": 2}')
    others = [await _enqueue(deps, "CASE-B", f'{{"n": {i}}}') for i in range(3)]
    relay = OutboxRelay(deps, producer)

    assert await relay.run_once() == 3
    assert await relay.run_once() == 0  # CASE-A's second row waits behind the parked one
    assert await _sent(deps) == set(others)
    async with deps.sessions() as s:
        parked = await box.parked_rows(s)
        stats = await box.stats(s)
    assert [p["id"] for p in parked] == [big]
    assert "MessageSizeTooLarge" in parked[0]["last_error"] and parked[0]["attempts"] == 1
    assert stats.parked == 1 and stats.unsent == 1  # the one waiting behind it

    async with deps.sessions() as s, s.begin():
        assert await box.discard(s, big, datetime.now(UTC))
    assert await relay.run_once() == 1
    assert await _sent(deps) == {*others, big, after_big}
    async with deps.sessions() as s:
        discarded = (
            await s.execute(sa.select(outbox.c.discarded_at).where(outbox.c.id == big))
        ).scalar_one()
    assert discarded is not None


async def test_a_retried_row_goes_out_in_order_after_unpark(
    deps: Deps, producer: AIOKafkaProducer
) -> None:
    big = await _enqueue(deps, "CASE-C", "y" * 1_500_000)
    await _enqueue(deps, "CASE-C", '{"n": 2}')
    relay = OutboxRelay(deps, producer)
    assert await relay.run_once() == 0
    async with deps.sessions() as s, s.begin():
        assert await box.unpark(s, big)
        assert not await box.unpark(s, big)  # no longer parked
    async with deps.sessions() as s:
        batch = await box.next_batch(s, 10, datetime.now(UTC))
    assert [r.id for r in batch][:1] == [big]  # first again, its case still behind it


class FlakyBroker:
    """Stands in for the producer: refuses every record, or only those of `bad_key`, with a
    connection error (the broker's trouble, not the record's)."""

    def __init__(self, bad_key: str | None = None) -> None:
        self.bad_key = bad_key

    async def send(self, topic: str, value: bytes, *, key: bytes, headers: object) -> object:
        if self.bad_key is None or key.decode() == self.bad_key:
            raise KafkaConnectionError("broker unreachable")
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


async def _state(deps: Deps, row: int) -> Any:
    async with deps.sessions() as s:
        query = sa.select(outbox.c.attempts, outbox.c.parked_at, outbox.c.next_attempt_at)
        return (await s.execute(query.where(outbox.c.id == row))).one()


async def test_a_broker_outage_blames_no_row(deps: Deps) -> None:
    row = await _enqueue(deps, "CASE-D", '{"n": 1}')
    relay = OutboxRelay(deps, FlakyBroker())
    with pytest.raises(KafkaConnectionError):
        await relay.run_once()
    state = await _state(deps, row)
    assert state.attempts == 0 and state.parked_at is None and state.next_attempt_at is None


async def test_a_row_that_keeps_failing_backs_off_then_parks(deps: Deps) -> None:
    row = await _enqueue(deps, "CASE-E", '{"n": 1}')
    fine = await _enqueue(deps, "CASE-F", '{"n": 1}')
    relay = OutboxRelay(deps, FlakyBroker(bad_key="CASE-E"))
    assert await relay.run_once() == 1
    assert await _sent(deps) == {fine}
    first = await _state(deps, row)
    assert first.attempts == 1 and first.parked_at is None and first.next_attempt_at is not None
    assert await relay.run_once() == 0  # waiting for its retry time
    for attempt in (2, 3):  # relay_max_attempts=3 in this fixture
        async with deps.sessions() as s, s.begin():
            await s.execute(sa.update(outbox).values(next_attempt_at=None))  # its time has come
        # Other cases still flow, so this is the row's failure, not an outage.
        await _enqueue(deps, "CASE-F", '{"n": 2}')
        assert await relay.run_once() == 1
        assert (await _state(deps, row)).attempts == attempt
    assert (await _state(deps, row)).parked_at is not None


async def _records(deps: Deps, topic: str, count: int) -> list[tuple[str, str]]:
    """(key, value) of the topic's first `count` records, in each partition's order."""
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=deps.settings.kafka_bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[tuple[str, str]] = []
    try:
        async with asyncio.timeout(60):
            while len(found) < count:
                batch = await consumer.getmany(timeout_ms=500)
                for recs in batch.values():
                    found += [(r.key.decode(), r.value.decode()) for r in recs if r.key]
    finally:
        await consumer.stop()
    return found


async def test_two_relays_side_by_side_send_each_row_once_in_its_case_order(
    deps: Deps, stack: EmbeddedStack
) -> None:
    if deps.settings.database_url.startswith("sqlite"):
        pytest.skip("on SQLite one relay runs (one machine, one writer)")
    keys = [f"CASE-{i:02d}" for i in range(20)]
    for n in range(10):
        for key in keys:
            await _enqueue(deps, key, f'{{"n": {n}}}')
    producers = [make_producer(stack.kafka_bootstrap) for _ in range(2)]
    for p in producers:
        await p.start()
    relays = [OutboxRelay(deps, p) for p in producers]
    # Small batches, so the two take turns on the same cases many times.
    deps.settings.relay_batch = 7

    async def drain(relay: OutboxRelay) -> None:
        while True:
            async with deps.sessions() as s:
                left = (await box.stats(s)).unsent
            if not left:
                return
            await relay.run_once()

    try:
        await asyncio.wait_for(asyncio.gather(*(drain(r) for r in relays)), 120)
    finally:
        for p in producers:
            await p.stop()
    assert all(r.published for r in relays), "both relays took part"
    assert sum(r.published for r in relays) == 200  # no row published twice
    records = await _records(deps, deps.topics.case_events, 200)
    for key in keys:
        ns = [v for k, v in records if k == key]
        assert ns == [f'{{"n": {n}}}' for n in range(10)], key


async def test_a_case_locked_by_one_relay_is_left_to_it(deps: Deps) -> None:
    if deps.settings.database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL advisory locks")
    await _enqueue(deps, "CASE-X", '{"n": 1}')
    await _enqueue(deps, "CASE-Y", '{"n": 1}')
    now = datetime.now(UTC)
    async with deps.sessions() as first, first.begin():
        mine = await box.claim_batch(first, 10, now)
        assert {r.key for r in mine} == {"CASE-X", "CASE-Y"}
        async with deps.sessions() as second, second.begin():
            assert await box.claim_batch(second, 10, now) == []  # both held by the first
    async with deps.sessions() as third, third.begin():
        assert len(await box.claim_batch(third, 10, now)) == 2  # released at commit
