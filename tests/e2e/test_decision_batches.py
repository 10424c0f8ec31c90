"""Decisions a fetch at a time (services/departments/decision_batch.py): every decision of one
fetch is recorded in one transaction, and a record the batch cannot take (here: a forged
signature) is dead-lettered alone, with its reason, while the others are applied once.

The decisions consumer starts only after every record is on the topic, so its first fetch
holds them all; the cases are opened beforehand through the intake use case."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa

from entrypoints.consumers import EventConsumer, build_consumers
from entrypoints.devstack.postgres import postgres_database
from entrypoints.devstack.stack import EmbeddedStack
from entrypoints.runner import Parts
from services.window.intake import handle_submission
from store.schema import case_events, dead_letters, decisions
from tests.e2e.kafka_util import Produce
from tests.e2e.ops_util import decision_doc, open_task
from tests.stack import App, running_app
from tests.utils.eventually import eventually
from tests.utils.factories import submission
from tests.utils.signing import signed_headers

pytestmark = pytest.mark.e2e
DEPARTMENTS = ["nrp", "housing", "fire", "env", "cad"]


@contextlib.asynccontextmanager
async def app_on(backend: str, stack: EmbeddedStack, tmp: Any) -> AsyncIterator[App]:
    """The app without its consumers (the test starts the decisions consumer itself)."""
    async with contextlib.AsyncExitStack() as stack_of:
        if backend == "postgresql":
            url = await stack_of.enter_async_context(postgres_database())
        else:
            url = f"sqlite+aiosqlite:///{tmp / 'lianban.db'}"
        parts = Parts(consumers=False)
        app = await stack_of.enter_async_context(
            running_app(stack.temporal_address, stack.kafka_bootstrap, url, parts)
        )
        yield app


async def open_cases(app: App, n: int) -> list[str]:
    ids = []
    for _ in range(n):
        env, sub = submission(app.deps.catalog, "IND-CONSTRUCTION")
        await handle_submission(app.deps, env, sub)
        ids.append(env.case_id)
    for case_id in ids:
        for dept in DEPARTMENTS:
            await eventually(functools.partial(open_task, app, case_id, dept), timeout=90)
    return ids


async def decided_count(app: App, case_ids: list[str]) -> dict[tuple[str, str], int]:
    """How many `DepartmentDecided` each (case, department) has in the case log."""
    async with app.deps.sessions() as s:
        rows = await s.execute(
            sa.select(case_events.c.case_id, case_events.c.data).where(
                case_events.c.case_id.in_(case_ids),
                case_events.c.event_type == "DepartmentDecided",
            )
        )
    counts: dict[tuple[str, str], int] = {}
    for case_id, data in rows:
        key = (case_id, data["department"])
        counts[key] = counts.get(key, 0) + 1
    return counts


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_batch_applies_the_good_decisions_once_and_dead_letters_the_forged_alone(
    backend: str, stack: EmbeddedStack, tmp_path: Any
) -> None:
    async with app_on(backend, stack, tmp_path) as app:
        good_cases = await open_cases(app, 2)
        [victim] = await open_cases(app, 1)
        topic = app.settings.topics.decisions
        async with Produce(app.settings.kafka_bootstrap) as produce:
            for case_id in good_cases:
                for dept in DEPARTMENTS:
                    await produce.event(topic, decision_doc(case_id, dept))
            forged = json.dumps(decision_doc(victim, "fire")).encode()
            other = json.dumps(decision_doc(victim, "fire", reviewer="someone else")).encode()
            await produce.raw(topic, forged, victim, signed_headers(other, "fire"))
        [consumer] = [c for c in build_consumers(app.deps) if c.topic == topic]
        stop = asyncio.Event()
        task = asyncio.create_task(consumer.serve(stop))
        try:
            await eventually(
                lambda: _done(consumer, task), until=bool, timeout=90, what="11 records taken"
            )
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
        assert consumer.batches >= 1  # the good ones went together
        assert (consumer.applied, consumer.dead_lettered) == (10, 1)
        counts = await decided_count(app, [*good_cases, victim])
        assert counts == {(c, d): 1 for c in good_cases for d in DEPARTMENTS}
        async with app.deps.sessions() as s:
            rows = (await s.execute(sa.select(decisions.c.case_id, decisions.c.department))).all()
            letters = (
                await s.execute(
                    sa.select(dead_letters.c.error, dead_letters.c.case_id).where(
                        dead_letters.c.source_topic == topic
                    )
                )
            ).all()
        assert sorted(rows) == sorted((c, d) for c in good_cases for d in DEPARTMENTS)
        assert [tuple(r) for r in letters] == [("bad_signature", victim)]
        assert await open_task(app, victim, "fire")  # the forged decision changed nothing
        # Each good case was told all five and concluded: granted, its licence issued.
        for case_id in good_cases:
            await eventually(functools.partial(_issued, app, case_id), timeout=90, what="licence")


async def _done(consumer: EventConsumer, task: asyncio.Task[None]) -> bool:
    if task.done():
        raise AssertionError(f"the consumer ended: {task.exception()!r}")
    return consumer.applied + consumer.dead_lettered >= 11


async def _issued(app: App, case_id: str) -> bool:
    async with app.deps.sessions() as s:
        found = await s.execute(
            sa.select(case_events.c.id).where(
                case_events.c.case_id == case_id, case_events.c.event_type == "LicenceIssued"
            )
        )
    return found.first() is not None
