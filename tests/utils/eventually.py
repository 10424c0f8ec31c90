"""The one way tests wait: poll a probe until a condition holds, never a fixed sleep."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")
_NOTHING: Any = object()


@overload
async def eventually(
    probe: Callable[[], Awaitable[T | None]],
    *,
    timeout: float = ...,
    every: float = ...,
    retry_on: type[Exception] | tuple[type[Exception], ...] = ...,
    what: str = ...,
) -> T: ...


@overload
async def eventually(
    probe: Callable[[], Awaitable[T]],
    *,
    until: Callable[[T], object],
    timeout: float = ...,
    every: float = ...,
    retry_on: type[Exception] | tuple[type[Exception], ...] = ...,
    what: str = ...,
) -> T: ...


async def eventually(
    probe: Callable[[], Awaitable[Any]],
    *,
    until: Callable[[Any], object] = bool,
    timeout: float = 30,
    every: float = 0.05,
    retry_on: type[Exception] | tuple[type[Exception], ...] = (),
    what: str = "",
) -> Any:
    """Call `probe` every `every` seconds until `until(value)` holds; return that value.

    Args:
        probe: reads the state being waited for (a row, a page, a workflow query).
        until: the condition on the probe's value; by default its truthiness.
        timeout: seconds before giving up, a slow probe included.
        every: seconds between probes.
        retry_on: exceptions of the probe that mean "not yet" (e.g. a workflow that does not
            exist yet); any other exception fails the test at once.
        what: what is awaited, for the failure message.

    Raises:
        AssertionError: on timeout, showing the last value and the last exception retried.
    """
    last, error, retried = _NOTHING, None, 0
    window = asyncio.timeout(timeout)
    try:
        async with window:
            while True:
                try:
                    value = await probe()
                except retry_on as exc:
                    error, retried = exc, retried + 1
                else:
                    if until(value):
                        return value
                    last = value
                if window.expired():
                    # Our cancellation was swallowed inside the probe: Python 3.11's
                    # asyncio.wait_for loses a cancellation that arrives as its inner future
                    # completes. Without this check the loop would poll forever.
                    break
                await asyncio.sleep(every)
    except TimeoutError:
        if not window.expired():
            raise  # the probe's own timeout, not ours
    name = what or getattr(probe, "__qualname__", repr(probe))
    message = [f"{name}: not so after {timeout:g} s"]
    message.append("no value yet" if last is _NOTHING else f"last value: {last!r}")
    if error is not None:
        message.append(f"the probe raised {retried} time(s), last: {error!r}")
    raise AssertionError("; ".join(message))
