"""A commit that wrote outbox rows wakes the relay in its process once it has committed: a
unit of work's, and any session's (an activity's, the API's). A department waits for its
`DepartmentDecided`, and without the wake-up the relay would find the row only at its next
poll (up to `relay_idle_seconds` later). One that wrote none, or was rolled back, leaves the
relay asleep."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from activities.base import task_id_for
from entrypoints.relay import APART_ON_SQLITE_POLL, OutboxRelay
from events.contracts import DecisionOutcome
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings
from services.unit_of_work import Decided, unit_of_work
from store.cases import insert_submission, submission_row
from store.records import log_case_event, publish
from store.schema import tasks
from tests.utils.factories import submission
from workflows.models import DecisionSignal

pytestmark = pytest.mark.integration


@pytest.fixture
async def deps(tmp_path: Path) -> AsyncIterator[Deps]:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'lianban.db'}")
    built = await bootstrap(settings, temporal=False, migrate=True)
    try:
        yield built
    finally:
        await built.close()


async def _open_case(deps: Deps) -> tuple[str, str]:
    """A stored case with one open task (as its workflow assigns it), and its department."""
    env, sub = submission(deps.catalog, "RESTAURANT-OPENING")
    matter = deps.catalog.matter("RESTAURANT-OPENING")
    assert matter is not None
    dept = matter.departments[0].code
    task = {
        "task_id": task_id_for(env.case_id, dept),
        "case_id": env.case_id,
        "department": dept,
        "status": "open",
        "checks": [],
        "opinion_only": False,
        "reasons": [],
        "conditions": [],
        "assigned_at": datetime.now(UTC),
        "case_title": sub.title,
    }
    async with deps.sessions() as s, s.begin():
        await insert_submission(s, submission_row(env, sub, "123456"))
        await log_case_event(s, env)
        await s.execute(sa.insert(tasks).values(task))
    return env.case_id, dept


def _decided(case_id: str, department: str) -> Decided:
    signal = DecisionSignal(
        event_id="e-1",
        department=department,
        outcome=DecisionOutcome.approve,
        reasons=[],
        items=[],
        reviewer="r",
        decided_at=datetime.now(UTC),
    )
    return Decided(case_id, signal, None)


async def _woken(deps: Deps) -> bool:
    return await deps.outbox.wait(0.05)


async def test_a_decision_committed_wakes_the_relay(deps: Deps) -> None:
    case_id, dept = await _open_case(deps)
    assert not await _woken(deps)
    async with unit_of_work(deps) as uow:
        tasks = await uow.records.decide_open_tasks(
            deps.topics.case_events, [_decided(case_id, dept)]
        )
        assert tasks == {f"{case_id}.{dept}"}
        assert not await _woken(deps), "woken before the row was committed"
        await uow.commit()
    assert await _woken(deps)


async def test_nothing_queued_or_rolled_back_leaves_the_relay_asleep(deps: Deps) -> None:
    case_id, dept = await _open_case(deps)
    async with unit_of_work(deps) as uow:  # rolled back: nothing to publish
        await uow.records.decide_open_tasks(deps.topics.case_events, [_decided(case_id, dept)])
    assert not await _woken(deps)
    async with unit_of_work(deps) as uow:  # a read only
        assert await uow.records.case(case_id) is not None
        await uow.commit()
    assert not await _woken(deps)


async def test_any_session_that_committed_outbox_rows_wakes_the_relay(deps: Deps) -> None:
    """As an activity writes its events (`activities.base`): a session of its own, no unit of
    work. Before, those rows waited for the relay's poll."""
    env, _ = submission(deps.catalog, "RESTAURANT-OPENING")
    async with deps.sessions() as s, s.begin():
        await publish(s, env, deps.topics.case_events)
        assert not await _woken(deps), "woken before the row was committed"
    assert await _woken(deps)
    other, _ = submission(deps.catalog, "RESTAURANT-OPENING")
    with pytest.raises(RuntimeError):
        async with deps.sessions() as s, s.begin():
            await publish(s, other, deps.topics.case_events)
            raise RuntimeError("the step failed: rolled back")
    assert not await _woken(deps)
    async with deps.sessions() as s, s.begin():  # the same kind of session, writing no row
        await s.execute(sa.select(1))
    assert not await _woken(deps)


async def test_only_a_relay_apart_from_the_writers_on_sqlite_polls_often(deps: Deps) -> None:
    """Woken by every commit of its process, a relay polls once a second; on SQLite a relay
    whose process runs without the worker, consumers or API hears nothing of their commits."""
    assert OutboxRelay(deps, producer=None).idle_seconds == 1.0
    apart = OutboxRelay(deps, producer=None, writers_here=False)
    assert apart.idle_seconds == APART_ON_SQLITE_POLL == 0.05
