"""Background rounds that a process runs until it is told to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable


async def cancel(task: asyncio.Task[object] | None) -> None:
    """Cancel `task` (if any) and wait until it has ended: what it holds is released before
    the caller goes on (its own cancellation is not the caller's error)."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def rest(stop: asyncio.Event, seconds: float) -> None:
    """Wait `seconds`, or less if `stop` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def every(
    seconds: float,
    stop: asyncio.Event,
    round_: Callable[[], Awaitable[object]],
    log: logging.Logger,
    failed: str,
) -> None:
    """Run `round_` now and then every `seconds` until `stop` is set. A round that raises is
    logged (as `failed`, on the caller's logger) and the next one tries again: what these rounds
    meet is mostly the database away for a moment."""
    while not stop.is_set():
        try:
            await round_()
        except Exception:  # the next round tries again
            log.exception(failed)
        await rest(stop, seconds)
