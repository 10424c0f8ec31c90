"""Issue 21, items 8, 9 and 13: sign-in under a hostile load.

8. Many wrong passwords at once cannot outrun the lock-out: each attempt is counted before its
   password is compared, atomically, so no more than the limit are ever compared, and a right
   password sent among them neither signs in nor clears the lock (SQLite and PostgreSQL).
9. Password checks run off the event loop, a few at a time: other requests are answered while a
   flood of sign-ins waits; one address gets a bounded number of attempts.
13. A locked account and an unknown name answer alike, at the same cost.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import sqlalchemy as sa

from services.signin import REFUSED
from store.schema import sign_in_attempts, staff_users
from tests.e2e.test_sign_in import browser, new_user, sign_in
from tests.stack import App
from tests.utils.eventually import eventually

pytestmark = pytest.mark.e2e


@contextlib.asynccontextmanager
async def address_limit(app: App, limit: int) -> AsyncIterator[None]:
    """Every test here signs in from 127.0.0.1: give it its own per-address budget, and leave
    the address's count as it found it (other tests sign in from there too)."""
    before = app.deps.settings.login_address_max_failures
    app.deps.settings.login_address_max_failures = limit
    try:
        yield
    finally:
        app.deps.settings.login_address_max_failures = before
        async with app.deps.sessions() as s, s.begin():
            await s.execute(sa.delete(sign_in_attempts))


async def _locked_until(app: App, username: str) -> object:
    async with app.deps.sessions() as s:
        return await s.scalar(
            sa.select(staff_users.c.locked_until).where(staff_users.c.username == username)
        )


@pytest.fixture(params=["sqlite", "postgresql"])
def any_app(request: pytest.FixtureRequest) -> App:
    return request.getfixturevalue("app" if request.param == "sqlite" else "pg_app")


async def test_forty_parallel_sign_ins_compare_no_more_than_the_limit(any_app: App) -> None:
    app = any_app
    username, password = await new_user(app)
    limit = app.settings.login_max_failures
    compared = app.deps.passwords.compared
    async with address_limit(app, 1000), browser(app) as http:
        # 39 wrong passwords at once, the right one last, as the tester sent them.
        attempts = [sign_in(http, username, f"wrong password {i:02d}") for i in range(39)]
        answers = await asyncio.gather(*attempts, sign_in(http, username, password))
        right = answers[-1]
        assert right.status_code == 401, "the right password, sent among 39 wrong, signed in"
        assert "lianban_session" not in http.cookies
        assert [a.status_code for a in answers[:-1]] == [401] * 39
        assert app.deps.passwords.compared - compared <= limit
        assert await _locked_until(app, username) is not None
        # Locked now: the right password alone is refused too, and the lock stays.
        locked = await _locked_until(app, username)
        assert (await sign_in(http, username, password)).status_code == 401
        assert await _locked_until(app, username) == locked


async def test_a_right_password_does_not_clear_a_lock_set_while_it_was_checked(app: App) -> None:
    """The right password was counted within the limit, then wrong ones running beside it
    locked the account before it finished: it is refused and the lock stays."""
    username, password = await new_user(app)
    limit = app.settings.login_max_failures
    async with address_limit(app, 1000), browser(app) as http:
        for _ in range(limit - 1):
            assert (await sign_in(http, username, "wrong password!!")).status_code == 401
        # The right one takes the last place within the limit; one wrong one is refused
        # uncompared past it and locks the account while the right one is being checked.
        right = asyncio.create_task(sign_in(http, username, password))

        async def counted() -> bool:
            async with app.deps.sessions() as s:
                n = await s.scalar(
                    sa.select(staff_users.c.failed_attempts).where(
                        staff_users.c.username == username
                    )
                )
            return n == limit

        await eventually(counted, every=0.005, what="the right password's attempt counted")
        wrong = await sign_in(http, username, "wrong password!!")
        answer = await right
    assert wrong.status_code == 401
    assert answer.status_code == 401 and REFUSED in answer.text
    assert await _locked_until(app, username) is not None


async def test_one_address_gets_a_bounded_number_of_attempts(app: App) -> None:
    username, password = await new_user(app)
    async with address_limit(app, 3), browser(app) as http:
        for i in range(3):
            assert (await sign_in(http, "nobody-" + str(i), "wrong password!!")).status_code == 401
        compared = app.deps.passwords.checks
        refused = await sign_in(http, username, password)
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["retry-after"]) >= 1
        assert "too many sign-in attempts" in refused.text
        assert app.deps.passwords.checks == compared, "a password was checked past the limit"
    # The account itself was not touched: another address (the limit reset here) signs in.
    async with address_limit(app, 3), browser(app) as http:
        assert (await sign_in(http, username, password)).status_code == 303


async def test_a_right_password_gives_its_attempt_back(app: App) -> None:
    username, password = await new_user(app)
    async with address_limit(app, 2), browser(app) as http:
        for _ in range(5):  # more sign-ins than the limit, every one right
            assert (await sign_in(http, username, password)).status_code == 303


async def test_other_requests_are_answered_during_a_sign_in_flood(app: App) -> None:
    """64 sign-ins at once, each an argon2 check (~0.15 s of CPU): eight pages asked one after
    the other meanwhile are all answered before a quarter of the sign-ins are. With the checks
    in the event loop, each page waited for the checks queued before it."""
    finished: list[str] = []

    async def attempt(http: httpx.AsyncClient, i: int) -> None:
        r = await sign_in(http, f"flood-{i}", "wrong password!!")
        assert r.status_code == 401, r.text
        finished.append("sign-in")

    async def pages(http: httpx.AsyncClient) -> None:
        for _ in range(8):
            r = await http.get("/login")
            assert r.status_code == 200
            finished.append("page")

    limits = httpx.Limits(max_connections=100)
    async with (
        address_limit(app, 1000),
        httpx.AsyncClient(
            base_url=app.api_url, headers={"Origin": app.api_url}, timeout=120, limits=limits
        ) as http,
    ):
        flood = [asyncio.create_task(attempt(http, i)) for i in range(64)]
        await pages(http)  # sent after the flood's 64 requests
        await asyncio.gather(*flood)
    last_page = max(i for i, what in enumerate(finished) if what == "page")
    signed_before = finished[:last_page].count("sign-in")
    # Measured: 0 with the checks in the pool, 32 with them in the event loop.
    assert signed_before < 16, f"{signed_before} of 64 sign-ins were answered before 8 pages"


@contextlib.contextmanager
def _timer(into: list[float]) -> Iterator[None]:
    start = time.perf_counter()
    yield
    into.append(time.perf_counter() - start)


async def test_a_locked_account_and_an_unknown_name_answer_alike(app: App) -> None:
    username, _ = await new_user(app)
    limit = app.settings.login_max_failures
    async with address_limit(app, 1000), browser(app) as http:
        for _ in range(limit):
            await sign_in(http, username, "wrong password!!")
        assert await _locked_until(app, username) is not None
        locked_t: list[float] = []
        unknown_t: list[float] = []
        answers, checks = [], app.deps.passwords.checks
        for i in range(7):  # interleaved, so a change in the machine's load hits both alike
            with _timer(locked_t):
                locked = await sign_in(http, username, "wrong password!!")
            with _timer(unknown_t):
                unknown = await sign_in(http, f"nobody-{i}-at-all", "wrong password!!")
            # The form keeps the name typed: the rest of the page must be the same.
            answers.append(
                (
                    locked.text.replace(username, "NAME"),
                    unknown.text.replace(f"nobody-{i}-at-all", "NAME"),
                    locked,
                    unknown,
                )
            )
        checks = app.deps.passwords.checks - checks
    for locked_page, unknown_page, locked, unknown in answers:
        assert locked.status_code == unknown.status_code == 401
        assert REFUSED in locked.text and REFUSED in unknown.text
        assert locked_page == unknown_page
    # One argon2 check each: the same order of time (before: ~5 ms against ~150 ms).
    ratio = statistics.median(unknown_t) / statistics.median(locked_t)
    assert 1 / 3 < ratio < 3, (locked_t, unknown_t)
    assert checks == 14, "each refusal costs one argon2 check"
