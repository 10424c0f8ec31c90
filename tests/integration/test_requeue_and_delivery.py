"""Rows put back to be sent again, acknowledgements asked for again, and the delivery state of
decisions, on SQLite and PostgreSQL.

- An outbox row queued again (an acknowledgement a sender asked for again) waits from then: the
  outbox's age on /readyz is not its creation (the false alarm "2 unsent, oldest 567.8 s").
- An acknowledgement goes out again at most once per interval however many re-sends ask.
- Of several processes sweeping undelivered decisions, exactly one takes each attempt.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from entrypoints.devstack.postgres import postgres_database
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings
from store import deliveries
from store import outbox as box
from store.schema import decisions, outbox
from tests.utils.inbox_rows import case_and_task, insert

TOPIC = "t.case-events"


@pytest.fixture(params=["sqlite", "postgresql"])
async def deps(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Deps]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'lianban.db'}"
        built = await bootstrap(Settings(database_url=url), temporal=False, migrate=True)
        yield built
        await built.close()
        return
    async with postgres_database() as url:
        built = await bootstrap(Settings(database_url=url), temporal=False, migrate=True)
        yield built
        await built.close()


async def _ack_row(deps: Deps, case_id: str, *, created: datetime, sent: datetime) -> int:
    """A `DepartmentDecided` published long ago, as the decision service wrote it."""
    event_id = str(uuid.uuid4())
    doc = {
        "event_id": event_id,
        "event_type": "DepartmentDecided",
        "case_id": case_id,
        "data": {"department": "fire", "decision_event_id": "d-1"},
    }
    async with deps.sessions() as s, s.begin():
        result: Any = await s.execute(
            sa.insert(outbox).values(
                event_id=event_id,
                topic=TOPIC,
                key=case_id,
                value=json.dumps(doc),
                headers={},
                created_at=created,
                sent_at=sent,
            )
        )
    return int(result.inserted_primary_key[0])


async def _ask_again(deps: Deps, case_id: str, sent_before: datetime | None) -> int:
    async with deps.sessions() as s, s.begin():
        return await box.resend_event(
            s,
            topic=TOPIC,
            key=case_id,
            event_types=("DepartmentDecided",),
            data={"department": "fire", "decision_event_id": "d-1"},
            sent_before=sent_before,
        )


async def _stats(deps: Deps) -> box.OutboxStats:
    async with deps.sessions() as s:
        return await box.stats(s)


async def test_a_row_queued_again_waits_from_then_not_from_its_creation(deps: Deps) -> None:
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    await _ack_row(deps, "LB-OLD", created=long_ago, sent=long_ago + timedelta(seconds=1))
    asked = datetime.now(UTC)
    assert await _ask_again(deps, "LB-OLD", None) == 1
    st = await _stats(deps)
    assert st.unsent == 1 and st.oldest_unsent is not None
    # Waiting since it was asked for again (a moment ago), not for ten minutes.
    assert st.oldest_unsent >= asked - timedelta(seconds=1), st


async def test_an_acknowledgement_goes_again_at_most_once_per_interval(deps: Deps) -> None:
    now = datetime.now(UTC)
    every = timedelta(seconds=30)
    row = await _ack_row(deps, "LB-ACK", created=now - every * 3, sent=now - timedelta(seconds=5))
    assert await _ask_again(deps, "LB-ACK", now - every) == 0  # published 5 s ago: not again
    async with deps.sessions() as s, s.begin():
        await s.execute(sa.update(outbox).where(outbox.c.id == row).values(sent_at=now - every * 2))
    asks = [await _ask_again(deps, "LB-ACK", now - every) for _ in range(5)]
    assert asks == [1, 0, 0, 0, 0]  # a burst of re-sends queues it once
    async with deps.sessions() as s, s.begin():
        await box.mark_sent(s, [row], datetime.now(UTC))  # the relay published it
    assert await _ask_again(deps, "LB-ACK", datetime.now(UTC) - every) == 0


async def _decision(deps: Deps, received: datetime) -> str:
    [task_id] = await insert(deps, [case_and_task("fire", None)])
    case_id = task_id.rsplit(".", 1)[0]
    async with deps.sessions() as s, s.begin():
        await s.execute(
            sa.insert(decisions).values(
                case_id=case_id,
                department="fire",
                event_id=str(uuid.uuid4()),
                outcome="approve",
                reasons=[],
                conditions=[],
                reviewer="fire-1",
                source="kafka",
                received_at=received,
                next_delivery_at=received + timedelta(seconds=30),
            )
        )
    return case_id


async def test_each_delivery_attempt_is_taken_by_one_sweeper(deps: Deps) -> None:
    received = datetime.now(UTC) - timedelta(minutes=2)
    case_id = await _decision(deps, received)
    now = datetime.now(UTC)
    async with deps.sessions() as s:
        assert await deliveries.due(s, received, 10) == []  # within its grace
        [row] = await deliveries.due(s, now, 10)
    assert row.attempts == 0 and row.event_id and row.department == "fire"

    async def claim() -> bool:
        async with deps.sessions() as s, s.begin():
            return await deliveries.claim(s, row, now + timedelta(seconds=60))

    won = await asyncio.gather(*(claim() for _ in range(8)))
    assert won.count(True) == 1, won
    async with deps.sessions() as s:
        assert await deliveries.due(s, now, 10) == []  # its next attempt is later
        [late] = await deliveries.overdue(s, now, 10)
        assert late.attempts == 1 and late.case_id == case_id
    async with deps.sessions() as s, s.begin():
        assert await deliveries.mark_delivered(s, case_id, "fire", row.event_id, now)
        assert not await deliveries.mark_delivered(s, case_id, "fire", row.event_id, now)
    async with deps.sessions() as s:
        assert await deliveries.overdue(s, now + timedelta(hours=1), 10) == []
        assert await deliveries.due(s, now + timedelta(hours=1), 10) == []


async def test_several_decisions_are_marked_delivered_in_one_statement(deps: Deps) -> None:
    """Only the rows named by (case, department, event id) are marked: not one whose event id
    differs (a later decision of the same task), not one of another case."""
    received = datetime.now(UTC) - timedelta(minutes=2)
    first, second, third = [await _decision(deps, received) for _ in range(3)]
    async with deps.sessions() as s:
        rows = {r.case_id: r for r in await deliveries.due(s, datetime.now(UTC), 10)}
    assert set(rows) == {first, second, third}
    now = datetime.now(UTC)
    named = [
        (first, "fire", rows[first].event_id),
        (second, "fire", str(uuid.uuid4())),  # not its event id: left as it is
    ]
    async with deps.sessions() as s, s.begin():
        await deliveries.mark_all_delivered(s, named, now)
        await deliveries.mark_all_delivered(s, [], now)  # nothing named, nothing sent
    async with deps.sessions() as s:
        left = {r.case_id for r in await deliveries.due(s, now + timedelta(hours=1), 10)}
    assert left == {second, third}
