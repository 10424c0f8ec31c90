"""The tests' one polling helper: what it returns, and what a timeout says."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

from tests.utils.eventually import eventually

T = TypeVar("T")


def counter(*values: T) -> Callable[[], Awaitable[T]]:
    """A probe returning `values` one by one, then the last one forever."""
    seen = iter(values)
    last = values[-1]

    async def probe() -> T:
        return next(seen, last)

    return probe


async def test_returns_the_first_value_that_holds() -> None:
    probe = counter(None, "", "ready", "later")
    assert await eventually(probe, every=0) == "ready"


async def test_until_decides_instead_of_truthiness() -> None:
    probe = counter(1, 2, 3, 4)
    assert await eventually(probe, until=lambda n: n >= 3, every=0) == 3


async def test_timeout_shows_the_last_value() -> None:
    probe: Callable[[], Awaitable[dict[str, Any]]] = counter({"status": "in_review"})
    with pytest.raises(AssertionError, match=r"the case: not so after 0.1 s; last value: \{'st"):
        await eventually(
            probe, until=lambda c: c["status"] == "issued", timeout=0.1, what="the case"
        )


async def test_exceptions_are_retried_only_when_named() -> None:
    calls = 0

    async def flaky() -> str:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise LookupError("not there yet")
        return "there"

    with pytest.raises(LookupError):
        await eventually(flaky, every=0)
    calls = 0
    assert await eventually(flaky, retry_on=LookupError, every=0) == "there"

    async def never() -> str:
        raise LookupError("still not there")

    with pytest.raises(AssertionError, match=r"raised \d+ time\(s\), last: LookupError"):
        await eventually(never, retry_on=LookupError, timeout=0.1, every=0.01)


async def test_a_probe_that_swallows_the_timeout_still_times_out() -> None:
    """Python 3.11's asyncio.wait_for can lose a cancellation that arrives as its inner future
    completes. A probe doing so once must not make eventually() poll forever (seen in CI: a
    control test that expects the timeout hung until pytest-timeout's 300 s)."""
    swallowed = 0

    async def probe() -> bool:
        nonlocal swallowed
        try:
            await asyncio.sleep(0.2)
        except asyncio.CancelledError:
            if swallowed:
                raise
            swallowed += 1  # the lost cancellation, once
        return False

    async with asyncio.timeout(5):  # the guard: without the fix, this fires instead
        with pytest.raises(AssertionError, match=r"not so after 0\.1 s"):
            await eventually(probe, timeout=0.1, every=0.01)
    assert swallowed == 1
