"""`lianban dev` keeps its servers running: a Temporal dev server or broker that exits is
started again, with backoff, and said so in the log.

Temporal comes back from its database file with every workflow; the broker comes back empty
(it keeps topics in memory), which the relay and the consumers already handle as a broker loss:
the topics are recreated here at once, and the relay publishes again what was lost.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from entrypoints.devstack.stack import EmbeddedStack, ManagedProcess, log_tail
from infra import periodic

log = logging.getLogger("lianban.dev")
FIRST, MOST = 1.0, 60.0  # seconds before a restart: doubling while it keeps dying
STEADY = 60.0  # up this long, it counts as recovered: the next death waits FIRST again
CHECK = 0.5


@dataclass
class _Child:
    name: str
    delay: float = FIRST
    started: float = 0.0
    restarts: int = 0


class Supervisor:
    """Watches the stack's own servers (never reused ones) and restarts those that exit."""

    def __init__(
        self,
        stack: EmbeddedStack,
        after_broker: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.stack = stack
        self.after_broker = after_broker  # e.g. create the topics again
        self.children = {"temporal": _Child("temporal"), "tansu": _Child("tansu")}
        for child in self.children.values():
            child.started = time.monotonic()

    def _process(self, name: str) -> ManagedProcess | None:
        return self.stack.temporal if name == "temporal" else self.stack.broker

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            for name, child in self.children.items():
                proc = self._process(name)
                if proc is not None and proc.proc is not None and not proc.running:
                    await self._restart(child, proc, stop)
            await periodic.rest(stop, CHECK)

    async def _restart(self, child: _Child, proc: ManagedProcess, stop: asyncio.Event) -> None:
        if time.monotonic() - child.started > STEADY + child.delay:
            child.delay = FIRST
        code = proc.proc.returncode if proc.proc is not None else None
        log.error(
            "the embedded %s exited (status %s); starting it again in %.0f s. Last lines of "
            "%s:\n%s",
            child.name,
            code,
            child.delay,
            proc.log_path,
            log_tail(proc.log_path, 10),
        )
        await periodic.rest(stop, child.delay)
        if stop.is_set():
            return
        child.delay = min(child.delay * 2, MOST)
        try:
            if child.name == "temporal":
                await self.stack.start_temporal()
            else:
                await self.stack.start_broker()
                if self.after_broker is not None:
                    await self.after_broker()
        except Exception as exc:  # it died again while starting: the next round tries again
            log.error("the embedded %s did not start again: %s", child.name, exc)
            return
        child.started, child.restarts = time.monotonic(), child.restarts + 1
        log.warning("the embedded %s is running again (restart %d)", child.name, child.restarts)
