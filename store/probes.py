"""The readiness write: one row per process, updated in place on every probe."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import insert_ignore
from store.schema import health_probes as t


async def write_probe(s: AsyncSession, instance: str, now: datetime) -> None:
    """Write (and, with the caller's commit, make durable) this process's probe row."""
    insert = insert_ignore(s.get_bind().dialect.name, t, "instance")
    await s.execute(insert.values(instance=instance, probed_at=now))
    await s.execute(sa.update(t).where(t.c.instance == instance).values(probed_at=now))
