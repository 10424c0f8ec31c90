"""Exactly one process runs the scheduled jobs: the lease in job_leases is held by one holder
at a time however many race for it, renewed by its holder, and taken over only once it has
expired (or been given up). On PostgreSQL, with two engines as two processes."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest

from entrypoints.devstack.postgres import postgres_database
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings
from services.auditors import schedule
from store import leases
from tests.utils.eventually import eventually

LENGTH = timedelta(seconds=60)


@pytest.fixture
async def two() -> AsyncIterator[tuple[Deps, Deps]]:
    async with postgres_database() as url:
        settings = Settings(database_url=url, calendar_dir=None)
        first = await bootstrap(settings, temporal=False, migrate=True)
        second = await bootstrap(settings, temporal=False)
        yield first, second
        await second.close()
        await first.close()


async def _hold(deps: Deps, holder: str, now: datetime) -> bool:
    async with deps.sessions() as s, s.begin():
        return await leases.hold(s, "job", holder, now, LENGTH)


async def test_racing_holders_get_one_lease_and_take_over_after_expiry(
    two: tuple[Deps, Deps],
) -> None:
    now = datetime.now(UTC)
    holders = [f"h{i}" for i in range(16)]
    won = await asyncio.gather(*(_hold(two[i % 2], h, now) for i, h in enumerate(holders)))
    assert sum(won) == 1
    winner = holders[won.index(True)]
    other = next(h for h in holders if h != winner)
    # Held: the others are refused, the holder renews.
    later = now + LENGTH / 2
    assert not await _hold(two[1], other, later)
    assert await _hold(two[0], winner, later)
    # Renewed until later + LENGTH: still held past the first expiry.
    assert not await _hold(two[1], other, now + LENGTH + timedelta(seconds=1))
    # Expired: all race again, exactly one takes over, and the old holder is out.
    expired = later + LENGTH + timedelta(seconds=1)
    won = await asyncio.gather(*(_hold(two[i % 2], h, expired) for i, h in enumerate(holders)))
    assert sum(won) == 1
    new = holders[won.index(True)]
    if new != winner:
        assert not await _hold(two[0], winner, expired)


async def test_only_the_lease_holder_runs_the_scheduled_anchors(
    two: tuple[Deps, Deps], monkeypatch: pytest.MonkeyPatch
) -> None:
    who: contextvars.ContextVar[str] = contextvars.ContextVar("who")
    taken: list[str] = []

    async def take_anchor(_: Deps) -> None:  # counts who would anchor; never "due" less
        taken.append(who.get())

    monkeypatch.setattr(schedule, "take_anchor", take_anchor)
    stops = {name: asyncio.Event() for name in ("a", "b")}

    def start(name: str, deps: Deps) -> asyncio.Task[None]:
        who.set(name)  # the task copies the context: its take_anchor calls say who ran them
        loop = schedule.anchor_on_schedule(
            deps, stops[name], timedelta(0), name, lease=timedelta(seconds=0.3)
        )
        return asyncio.create_task(loop)

    a = start("a", two[0])
    await eventually(lambda: asyncio.sleep(0, len(taken) >= 2), what="a anchoring")
    b = start("b", two[1])
    await eventually(lambda: asyncio.sleep(0, len(taken) >= 8), what="more rounds")
    assert set(taken) == {"a"}  # b ran its loop all along, but never held the lease
    stops["a"].set()
    await a  # gives the lease up
    await eventually(lambda: asyncio.sleep(0, "b" in taken), what="b taking over")
    stops["b"].set()
    await b
