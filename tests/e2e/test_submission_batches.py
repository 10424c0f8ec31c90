"""Submissions a fetch at a time (services/window/submission_batch.py): every new case of one
fetch is stored in one transaction and its workflow started after the commit; a record the
batch cannot take is applied or dead-lettered alone, with its reason, and the others once.

The submissions consumer starts only after every record is on the topic, so its first fetch
holds them all (the app runs without its consumers: the test starts this one itself)."""

from __future__ import annotations

import asyncio
import functools
import json
import uuid
from typing import Any

import pytest
import sqlalchemy as sa

import services.window.intake as intake
from entrypoints.consumers import EventConsumer, build_consumers
from entrypoints.devstack.stack import EmbeddedStack
from tests.e2e.kafka_util import Produce, construction_submission, envelope
from tests.e2e.ops_util import open_task
from tests.e2e.test_decision_batches import app_on
from tests.stack import App
from tests.utils.eventually import eventually

pytestmark = pytest.mark.e2e


def portal(case_id: str, **data: Any) -> dict[str, Any]:
    return envelope("ApplicationSubmitted", case_id, construction_submission() | data, "portal")


async def consume_until(app: App, records: int) -> EventConsumer:
    """The submissions consumer, run until it has taken `records` records."""
    topic = app.settings.topics.submissions
    [consumer] = [c for c in build_consumers(app.deps) if c.topic == topic]
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.serve(stop))
    try:
        await eventually(
            lambda: _taken(consumer, task, records),
            until=bool,
            timeout=90,
            what=f"{records} records taken",
        )
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    return consumer


async def _taken(consumer: EventConsumer, task: asyncio.Task[None], records: int) -> bool:
    if task.done():
        raise AssertionError(f"the consumer ended: {task.exception()!r}")
    return consumer.applied + consumer.dead_lettered >= records


async def stored(app: App, prefix: str) -> tuple[dict[str, int], list[tuple[str, str | None]]]:
    """(ApplicationSubmitted logged per case, the submissions topic's dead letters)."""
    from store.schema import case_events, cases, dead_letters

    async with app.deps.sessions() as s:
        rows = (
            await s.execute(
                sa.select(cases.c.case_id, sa.func.count(case_events.c.id))
                .join(case_events, case_events.c.case_id == cases.c.case_id)
                .where(
                    cases.c.case_id.startswith(prefix),
                    case_events.c.event_type == "ApplicationSubmitted",
                )
                .group_by(cases.c.case_id)
            )
        ).all()
        letters = (
            await s.execute(
                sa.select(dead_letters.c.error, dead_letters.c.case_id)
                .where(dead_letters.c.source_topic == app.settings.topics.submissions)
                .order_by(dead_letters.c.error)
            )
        ).all()
    return {r[0]: int(r[1]) for r in rows}, [tuple(r) for r in letters]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_batch_starts_each_case_once_and_dead_letters_the_bad_alone(
    backend: str, stack: EmbeddedStack, tmp_path: Any
) -> None:
    async with app_on(backend, stack, tmp_path) as app:
        run = f"LB-SB-{uuid.uuid4().hex[:8].upper()}"  # workflow ids: Temporal is shared
        good = [f"{run}-{i}" for i in range(6)]
        docs = {case_id: portal(case_id) for case_id in good}
        refused = f"{run}-REF"
        naming = [{"code": "eia-report", "library_id": "LIB-" + "0" * 20}]  # no such entry
        topic = app.settings.topics.submissions
        async with Produce(app.settings.kafka_bootstrap) as produce:
            for doc in docs.values():
                await produce.event(topic, doc)
            await produce.event(topic, docs[good[0]])  # the same event again
            again = dict(docs[good[1]], event_id=str(uuid.uuid4()))
            await produce.event(topic, again)  # the same case, another event id
            await produce.event(topic, portal(refused, materials=naming))
            await produce.raw(topic, b"{not json", good[2])
        consumer = await consume_until(app, 10)
        assert consumer.batches >= 1  # the good ones went together
        assert (consumer.applied, consumer.dead_lettered) == (7, 3)
        logged, letters = await stored(app, run)
        assert logged == {case_id: 1 for case_id in good}  # each case once, logged once
        assert letters == [
            ("duplicate_case", good[1]),
            ("malformed_json", good[2]),  # named by its record's key
            ("material_refused", refused),
        ]
        # Each good case's workflow was started: its departments' tasks open.
        for case_id in good:
            await eventually(functools.partial(open_task, app, case_id, "fire"), timeout=90)


async def test_a_batch_that_fails_is_applied_one_record_at_a_time(
    stack: EmbeddedStack, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app_on("sqlite", stack, tmp_path) as app:

        async def broken(*_: Any) -> set[str]:
            raise RuntimeError("a bug in the batch's insert")

        monkeypatch.setattr(intake, "insert_submissions", broken)  # only the batch uses it
        run = f"LB-SB-{uuid.uuid4().hex[:8].upper()}"
        cases = [f"{run}-{i}" for i in range(4)]
        async with Produce(app.settings.kafka_bootstrap) as produce:
            for case_id in cases:
                await produce.event(app.settings.topics.submissions, portal(case_id))
            await produce.raw(app.settings.topics.submissions, json.dumps([1]).encode(), None)
        consumer = await consume_until(app, 5)
        assert consumer.batches == 0  # rolled back: every record alone
        assert (consumer.applied, consumer.dead_lettered) == (4, 1)
        logged, letters = await stored(app, run)
        assert logged == {case_id: 1 for case_id in cases}
        assert [e for e, _ in letters] == ["malformed_json"]
        for case_id in cases:
            await eventually(functools.partial(open_task, app, case_id, "fire"), timeout=90)
