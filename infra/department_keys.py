"""Each process's cache of the department keys registry (`store.department_keys`), so a signed
decision is checked without a database round trip in the steady state.

What is cached, by key id: the key (public key, department, when revoked) or that there is no
such key. A key id not in the cache is read from the database at once (a key registered a moment
ago works at once); that there is no such key is remembered for at most `INTERVAL` seconds, and
at most `MAX_ENTRIES` key ids of each kind are kept, so a flood of made-up key ids costs one
indexed read each, as before the cache, and no memory beyond the bound.

Every change to the registry (`lianban keys add|new|revoke`) tells every process, in the
writer's transaction, and the cache forgets everything it holds:

- PostgreSQL: a NOTIFY, which each process LISTENs for on a connection of its own (started on
  the first look-up). Until that connection listens, and whenever it is lost (a ping each
  `INTERVAL` seconds notices a silent loss), the cache falls back to the generation below; on
  each (re)connection it forgets everything, since notifications may have been missed.
- SQLite (and PostgreSQL without its listener): a look-up reads the registry's generation
  (`department_key_generation`) when `INTERVAL` seconds have passed since it last did, and
  forgets everything when it changed. It is read on the look-up's path, not by a background
  task: a look-up then never trusts a generation older than `INTERVAL`, so a revoked key stops
  verifying within `INTERVAL` of the revocation's commit (a poller would add its own lateness),
  and a process that checks no signatures reads nothing.

A read that started before the cache forgot is not kept (`KeyTable.epoch`): it may predate the
change that made the cache forget.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from infra.pg_listen import PgListener
from store.department_keys import CHANGED_CHANNEL, generation, get_key

INTERVAL = 1.0  # seconds: how stale the cache may be where no notification reaches it
MAX_ENTRIES = 4096  # key ids of each kind (known, unknown) kept at most
LISTENER = "lianban-department-keys"  # the listening connection's application_name
log = logging.getLogger("lianban.department_keys")


@dataclass(frozen=True)
class DepartmentKey:
    key_id: str
    department: str
    public_key: str  # raw Ed25519, base64
    revoked_at: datetime | None

    @classmethod
    def of(cls, row: dict[str, Any]) -> DepartmentKey:
        return cls(row["key_id"], row["department"], row["public_key"], row["revoked_at"])


class _Miss:
    """Not in the cache: read the database."""


MISS = _Miss()


class KeyTable:
    """The cache's state, no I/O: what is known of each key id, and when the generation was
    last read. Times are the caller's monotonic seconds."""

    def __init__(self, interval: float = INTERVAL, max_entries: int = MAX_ENTRIES) -> None:
        self.interval, self.max_entries = interval, max_entries
        self.known: dict[str, DepartmentKey] = {}
        self.unknown: dict[str, float] = {}  # key id → when it was found missing
        self.epoch = 0  # bumped whenever everything is forgotten
        self.generation: int | None = None
        self.generation_read_at: float | None = None

    def get(self, key_id: str, now: float) -> DepartmentKey | _Miss | None:
        if (key := self.known.get(key_id)) is not None:
            return key
        missing_since = self.unknown.get(key_id)
        if missing_since is not None and now - missing_since < self.interval:
            return None
        return MISS

    def put(self, key_id: str, key: DepartmentKey | None, epoch: int, now: float) -> None:
        """Keep what a read found, unless the cache forgot everything since it started."""
        if epoch != self.epoch:
            return
        if key is not None:
            self.unknown.pop(key_id, None)
            _bounded_put(self.known, key_id, key, self.max_entries)
        else:
            self.unknown.pop(key_id, None)  # re-inserted last: the dict stays oldest first
            _bounded_put(self.unknown, key_id, now, self.max_entries)

    def forget(self) -> None:
        self.known.clear()
        self.unknown.clear()
        self.epoch += 1

    def generation_due(self, now: float) -> bool:
        return self.generation_read_at is None or now - self.generation_read_at >= self.interval

    def saw_generation(self, value: int, read_at: float) -> None:
        """The generation read by a query that started at `read_at`."""
        if value != self.generation:  # the first read too: what was cached before is unproven
            self.forget()
        self.generation, self.generation_read_at = value, read_at


def _bounded_put(entries: dict[str, Any], key_id: str, value: Any, limit: int) -> None:
    # Oldest first (insertion order): the first entries are the first to drop.
    while len(entries) >= limit and key_id not in entries:
        del entries[next(iter(entries))]
    entries[key_id] = value


class DepartmentKeys:
    """The process's department keys, read through the cache (see the module's docstring)."""

    def __init__(
        self,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        *,
        clock: Callable[[], float] = time.monotonic,
        interval: float = INTERVAL,
        listen: bool = True,
    ) -> None:
        self.engine, self.sessions, self.clock = engine, sessions, clock
        self.table = KeyTable(interval)
        self._lock = asyncio.Lock()
        self._listener: PgListener | None = None
        self._listening_since: float | None = None  # when the listener last proved alive
        self._listen = listen and engine.dialect.name == "postgresql"

    async def get(self, key_id: str) -> DepartmentKey | None:
        """The key with this id (revoked ones too), or None when none is registered."""
        await self._fresh()
        found = self.table.get(key_id, self.clock())
        if not isinstance(found, _Miss):
            return found
        epoch = self.table.epoch
        async with self.sessions() as s:
            row = await get_key(s, key_id)
        key = DepartmentKey.of(row) if row else None
        self.table.put(key_id, key, epoch, self.clock())
        return key

    def forget(self) -> None:
        """Drop everything cached (this process changed the registry itself)."""
        self.table.forget()

    def listening(self) -> bool:
        """True while notifications reach this process (its listener proved alive lately)."""
        since = self._listening_since
        return since is not None and self.clock() - since < 2 * self.table.interval

    async def _fresh(self) -> None:
        if self._listen and self._listener is None:
            self._start_listening()
        if self.listening() or not self.table.generation_due(self.clock()):
            return
        async with self._lock:  # one read of the generation for every look-up waiting on it
            started = self.clock()
            if not self.table.generation_due(started):
                return
            async with self.sessions() as s:
                value = await generation(s)
            self.table.saw_generation(value, started)

    async def close(self) -> None:
        if self._listener is not None:
            await self._listener.close()
            self._listener = None

    def _start_listening(self) -> None:
        """Everything forgotten at each notification, and at each (re)connection (what was
        sent while nobody listened is lost)."""
        forget = self.table.forget
        self._listener = PgListener(
            self.engine,
            CHANGED_CHANNEL,
            LISTENER,
            "department keys",
            on_notify=forget,
            interval=self.table.interval,
            on_connect=forget,
            on_alive=self._alive,
            on_lost=self._lost,
        )
        self._listener.start()

    def _alive(self) -> None:
        self._listening_since = self.clock()

    def _lost(self) -> None:
        self._listening_since = None
