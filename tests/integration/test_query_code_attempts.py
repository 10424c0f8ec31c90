"""Wrong query codes are counted in the database, per (case, source), before the code is
checked: many concurrent guesses through two API processes' pools get at most the limit checked,
the count survives a restart, and the applicant's right code still works while guessers are
locked out. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from entrypoints.devstack.postgres import postgres_database
from infra.bootstrap import Deps, bootstrap
from infra.settings import Settings
from services.applicants import progress
from services.errors import Refused
from store.attempts import count_attempt
from store.schema import cases
from tests.utils.rows import case_row

CASE, CODE = "LB-QC0000000001", "000000"
Open = Callable[[], AbstractAsyncContextManager[Deps]]


@pytest.fixture(params=["sqlite", "postgresql"])
async def url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'attempts.db'}"
        return
    async with postgres_database() as u:
        yield u


async def _deps(url: str) -> Deps:
    return await bootstrap(Settings(database_url=url, calendar_dir=None), temporal=False)


@pytest.fixture
async def two(url: str) -> AsyncIterator[tuple[Deps, Deps]]:
    """Two processes' worth of engines and pools on one database, with one case in it."""
    first = await bootstrap(
        Settings(database_url=url, calendar_dir=None), temporal=False, migrate=True
    )
    async with first.sessions() as s, s.begin():
        await s.execute(sa.insert(cases), [case_row(CASE, datetime.now(UTC))])
    second = await _deps(url)
    yield first, second
    await second.close()
    await first.close()


async def _try(deps: Deps, code: str, source: str) -> str:
    try:
        await progress.find_case(deps, CASE, code, source)
    except Refused as exc:
        return exc.code
    return "ok"


async def test_concurrent_guesses_get_at_most_the_limit_checked(two: tuple[Deps, Deps]) -> None:
    guesses = [_try(two[i % 2], f"{i:06d}x", "203.0.113.9") for i in range(60)]
    outcomes = Counter(await asyncio.gather(*guesses))
    # Each 404 is one code actually compared; the rest were refused before any comparison.
    assert outcomes == {"not_found": progress.MAX_FAILURES, "too_many_attempts": 50}
    # The guesser's address stays locked out, even with the right code ...
    assert await _try(two[0], CODE, "203.0.113.9") == "too_many_attempts"
    # ... but not the applicant, from their own address, on either process.
    assert await _try(two[1], CODE, "198.51.100.7") == "ok"
    assert await _try(two[0], CODE, "198.51.100.7") == "ok"


async def test_the_count_survives_a_restart_and_says_when_to_retry(url: str) -> None:
    first = await bootstrap(
        Settings(database_url=url, calendar_dir=None), temporal=False, migrate=True
    )
    for _ in range(progress.MAX_FAILURES):
        assert await _try(first, "nope", "203.0.113.9") == "not_found"
    await first.close()
    restarted = await _deps(url)
    try:
        with pytest.raises(progress.TooManyAttempts) as refused:
            await progress.find_case(restarted, CASE, "nope", "203.0.113.9")
        assert refused.value.headers is not None
        retry = int(refused.value.headers["Retry-After"])
        assert 0 < retry <= progress.FAILURE_WINDOW_S
    finally:
        await restarted.close()


async def test_past_the_case_budget_every_address_is_refused(two: tuple[Deps, Deps]) -> None:
    """Issue 21, item 10: a guesser with a new address for every code got one try from each
    past the case's budget. Past it now, no address is checked until the window ends."""
    sources = [f"10.0.{i // 250}.{i % 250}" for i in range(progress.CASE_BUDGET + 20)]
    outcomes = Counter(
        await asyncio.gather(*(_try(two[i % 2], "bad", s) for i, s in enumerate(sources)))
    )
    assert outcomes == {"not_found": progress.CASE_BUDGET, "too_many_attempts": 20}
    # Even the right code from an address never seen is refused unchecked, on either process.
    assert await _try(two[1], CODE, "198.51.100.7") == "too_many_attempts"
    assert await _try(two[0], CODE, "198.51.100.8") == "too_many_attempts"


async def test_a_window_that_has_passed_starts_again(two: tuple[Deps, Deps]) -> None:
    t0, window = datetime(2026, 1, 5, 9, 0, tzinfo=UTC), timedelta(minutes=15)
    async with two[0].sessions() as s, s.begin():
        assert (await count_attempt(s, CASE, "a", t0, window))[0] == 1
        assert (await count_attempt(s, CASE, "a", t0 + window, window))[0] == 2
        later = t0 + window + timedelta(seconds=1)
        assert await count_attempt(s, CASE, "a", later, window) == (1, later)
