"""Fixtures for workflow tests that walk a case through a real holiday calendar in
skipped time.

The time-skipping server starts at the real current time, so the `walk` fixture moves it to the
next Tuesday 09:00 and shifts the 2026 National Day schedule by the same whole number of weeks:
a case received on that Tuesday sees exactly what a case received Tue 2026-09-29 saw.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.calendar import CalendarData
from domain.calendar_source import load_builtin
from domain.case_clocks import CHINA
from entrypoints.worker import build_worker
from infra.bootstrap import Deps
from tests.conftest import sqlite_deps_in

REAL_ACCEPTANCE = date(2026, 9, 29)  # a Tuesday, two days before National Day


def shifted_national_day(shift: timedelta) -> CalendarData:
    """The real Sep–Nov 2026 schedule (Mid-Autumn, National Day, make-up days), moved."""
    real = load_builtin(range(2026, 2027))
    window = (date(2026, 9, 1), date(2026, 12, 31))
    pick = [d for d in real.holiday_dates if window[0] <= d <= window[1]]
    work = [d for d in real.workday_dates if window[0] <= d <= window[1]]
    years = {(window[0] + shift).year, (window[1] + shift).year}
    return CalendarData.from_dates(years, [d + shift for d in pick], [d + shift for d in work])


class Walk:
    """The test's clock: real 2026 dates in, shifted instants out."""

    def __init__(self, env: WorkflowEnvironment, accepted_at: datetime) -> None:
        self.env = env
        self.shift = accepted_at.date() - REAL_ACCEPTANCE
        self.accepted_at = accepted_at

    def day(self, real: date) -> date:
        return real + self.shift

    def midnight(self, real: date) -> datetime:
        return datetime.combine(self.day(real), time.min, tzinfo=CHINA)

    async def go_to(self, real: date, hour: int = 10) -> None:
        target = datetime.combine(self.day(real), time(hour), tzinfo=CHINA)
        now = await self.env.get_current_time()
        assert target > now
        await self.env.sleep(target - now)


@pytest.fixture
async def walk(time_env: WorkflowEnvironment) -> Walk:
    now = (await time_env.get_current_time()).astimezone(CHINA)
    days = (1 - now.weekday()) % 7 or 7  # the next Tuesday, at least a day ahead
    accepted_at = datetime.combine(now.date() + timedelta(days=days), time(9), tzinfo=CHINA)
    await time_env.sleep(accepted_at - now)
    return Walk(time_env, accepted_at)


@pytest.fixture
def calendar(walk: Walk) -> Callable[[], CalendarData] | None:
    """The calendar the worker's activities use: the shifted 2026 National Day schedule
    (None: the shipped calendar)."""
    shifted = shifted_national_day(walk.shift)
    return lambda: shifted


@pytest.fixture
async def sqlite_deps(
    tmp_path: Path, time_env: WorkflowEnvironment, calendar: Callable[[], CalendarData] | None
) -> AsyncIterator[Deps]:
    """Deps built with the time-skipping server's client and the test's calendar. Workers run
    workflows in the strict sandbox: a workflow reading the clock, randomness or the
    environment fails here, on every path these tests take (entrypoints/worker.py)."""
    async with sqlite_deps_in(
        tmp_path, temporal=time_env.client, calendar=calendar, workflow_sandbox="strict"
    ) as deps:
        yield deps


@pytest.fixture
async def worker(sqlite_deps: Deps) -> AsyncIterator[Worker]:
    w = build_worker(sqlite_deps, task_queue=f"tq-{uuid.uuid4()}")
    async with w:
        yield w
