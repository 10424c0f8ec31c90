"""Audit anchors on a schedule from `lianban serve`: every API process runs this loop, but only
the holder of the `audit-anchor` lease takes anchors; another takes over once it expires."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import DBAPIError

from infra import periodic
from infra.bootstrap import Deps
from services.auditors.anchors import LogRewritten, take_anchor
from store import audit as store
from store import leases

log = logging.getLogger("lianban.audit")
LEASE = "audit-anchor"
LEASE_LENGTH = timedelta(seconds=60)  # renewed every third of it


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def _due(deps: Deps, now: datetime, every: timedelta) -> bool:
    # The latest anchor is in the database: a new holder does not anchor again at once.
    async with deps.sessions() as s:
        last = await store.last_anchor(s)
    return last is None or now - last.created_at >= every


async def anchor_on_schedule(
    deps: Deps,
    stop: asyncio.Event,
    every: timedelta,
    holder: str | None = None,
    lease: timedelta = LEASE_LENGTH,
) -> None:
    """While holding the lease, take an anchor whenever the latest is `every` old."""
    me = holder or holder_name()
    try:
        while not stop.is_set():
            now = datetime.now(UTC)
            try:
                async with deps.sessions() as s, s.begin():
                    mine = await leases.hold(s, LEASE, me, now, lease)
                if mine and await _due(deps, now, every):
                    await take_anchor(deps)
            except LogRewritten as exc:
                log.error("audit anchor refused, the log was changed: %s", exc)
            except (DBAPIError, OSError) as exc:
                log.warning("scheduled audit anchor failed (%r); trying again", exc)
            await periodic.rest(stop, lease.total_seconds() / 3)
    finally:
        with contextlib.suppress(DBAPIError, OSError):
            async with deps.sessions() as s, s.begin():
                await leases.release(s, LEASE, me, datetime.now(UTC))
