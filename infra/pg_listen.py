"""A PostgreSQL LISTEN on a connection of its own, kept alive for as long as the process runs.

Two things in a process wait for other processes' commits: the department keys cache (a key
added or revoked anywhere) and the outbox relay (rows written by any process). A NOTIFY sent in
the writer's transaction reaches every listener when that transaction commits. A notification
sent while nobody listened is lost, so `on_connect` runs on every (re)connection, after the
LISTEN, for the owner to assume it missed something; a ping each `interval` proves the
connection alive (`on_alive`), and a lost one is reconnected after `interval`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from infra import periodic

PING_TIMEOUT = 5.0  # seconds before the listening connection counts as lost
log = logging.getLogger("lianban.pg_listen")


def _nothing() -> None:
    """The default hook."""


@dataclass
class PgListener:
    """LISTEN on `channel`: `on_notify()` at each notification; `name` is the connection's
    application_name (an operator sees one per process in pg_stat_activity), `label` what the
    log calls it."""

    engine: AsyncEngine
    channel: str
    name: str
    label: str
    on_notify: Callable[[], None]
    interval: float = 1.0
    on_connect: Callable[[], None] = _nothing
    on_alive: Callable[[], None] = _nothing  # after each answered ping
    on_lost: Callable[[], None] = _nothing  # the connection closed or stopped answering
    _task: asyncio.Task[None] | None = field(default=None, init=False)
    _listened: bool = field(default=False, init=False)  # the current connection has listened

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._forever(), name=f"listen-{self.channel}")

    async def close(self) -> None:
        await periodic.cancel(self._task)
        self._task = None

    async def _forever(self) -> None:
        warned = False  # once an outage: the reconnections tried every interval are not news
        while True:
            self._listened = False
            try:
                await self._once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the connection was lost: the owner falls back
                warned = warned and not self._listened
                level = logging.DEBUG if warned else logging.WARNING
                log.log(level, "%s: notifications lost (%s); reconnecting", self.label, exc)
                warned = True
            self.on_lost()
            await asyncio.sleep(self.interval)

    async def _once(self) -> None:
        lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        conn = await connect(self.engine, self.name)
        try:
            conn.add_termination_listener(lambda _c: _settle(lost))
            await conn.add_listener(self.channel, lambda *_a: self.on_notify())
            self.on_connect()
            while not lost.done():
                # A slow ping (a loaded machine) is no reason to reconnect: an owner that
                # trusts the listener stops doing so when `on_alive` has not come for a while.
                await asyncio.wait_for(conn.execute("SELECT 1"), PING_TIMEOUT)
                self._listened = True
                self.on_alive()
                await asyncio.wait([lost], timeout=self.interval)
            raise ConnectionError("the listening connection closed")
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), self.interval)


def _settle(lost: asyncio.Future[None]) -> None:
    if not lost.done():
        lost.set_result(None)


async def connect(engine: AsyncEngine, name: str) -> asyncpg.Connection:
    """A connection of its own (never one of the pool's), as the engine's URL says."""
    _args, kwargs = engine.dialect.create_connect_args(engine.url)
    for sqlalchemy_only in ("async_creator_fn", "prepared_statement_cache_size"):
        kwargs.pop(sqlalchemy_only, None)
    kwargs.pop("prepared_statement_name_func", None)
    settings = dict(kwargs.pop("server_settings", None) or {}) | {"application_name": name}
    return await asyncpg.connect(**kwargs, server_settings=settings)
