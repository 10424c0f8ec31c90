"""Work a process starts and does not wait for: bounded, and finished or given up at shutdown.

The decisions consumer records a decision and acknowledges it in one transaction; telling the
case workflow (a signal to Temporal) comes after and need not hold up the next decision, since
the decisions table keeps what was not delivered for the sweeper. So the consumer hands the
signal to a `Background` and goes on. The bound makes a slow or absent Temporal push back on
the consumer instead of piling up tasks: `start` waits for a free slot. The work pending and the
bound are gauges (`lianban_background_pending`, `lianban_background_limit`): pending near the
limit means Temporal is slow or away.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from infra import metrics

log = logging.getLogger("lianban.background")


class Background:
    """At most `limit` pieces of work running at once; each is kept until it is done."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._slots = asyncio.Semaphore(limit)
        self._tasks: set[asyncio.Task[None]] = set()
        if metrics.enabled():
            metrics.BACKGROUND_LIMIT.set(limit)
            metrics.BACKGROUND_PENDING.set(0)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def start(self, work: Callable[[], Awaitable[None]], name: str) -> None:
        """Run `work()` in a task of its own; waits first while `limit` are running."""
        await self._slots.acquire()
        task = asyncio.create_task(self._run(work, name), name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        self._count()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._count()

    def _count(self) -> None:
        if metrics.enabled():  # one Background a process (`Deps`): the gauge is its count
            metrics.BACKGROUND_PENDING.set(len(self._tasks))

    async def _run(self, work: Callable[[], Awaitable[None]], name: str) -> None:
        try:
            await work()
        except asyncio.CancelledError:
            raise
        except Exception:  # the work handles what it expects; anything else must not vanish
            log.exception("background work %s failed", name)
        finally:
            self._slots.release()

    async def drain(self, timeout: float) -> int:
        """Wait up to `timeout` seconds for what is running, then cancel the rest; returns how
        many were cancelled (their owners' own recovery takes them on)."""
        running = set(self._tasks)
        if not running:
            return 0
        _, left = await asyncio.wait(running, timeout=timeout)
        for task in left:
            task.cancel()
        if left:
            await asyncio.wait(left)
        return len(left)
