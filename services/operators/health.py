"""Health: does each dependency answer, and does work flow (outbox, consumers)?

Operators read it on `/healthz`, `/readyz` and `lianban ops health`; a load balancer acts on
`/readyz`'s status code. Readiness needs what every request needs (the database) and what
accepting work needs (Temporal); a slow broker, a backed-up outbox or consumers falling behind
make the status `degraded` without taking the instance out of service, since another instance
would not do better.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Literal

import sqlalchemy as sa

from domain.calendar_source import missing_years
from domain.case_clocks import local_date
from events.registry import inbound
from infra.bootstrap import Deps
from infra.broker_loss import recovery_log
from infra.broker_probe import BrokerProbe
from store import outbox as box
from store.failures import storage_failure
from store.probes import write_probe

Status = Literal["ok", "degraded", "down"]
TIMEOUT = 2.0
INSTANCE = f"{socket.gethostname()}:{os.getpid()}"[:200]
log = logging.getLogger("lianban.health")


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    critical: bool = False  # readiness fails with it
    value: float | None = None  # the measured figure, where there is one


@dataclass(frozen=True)
class HealthReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def status(self) -> Status:
        if any(not c.ok and c.critical for c in self.checks):
            return "down"
        return "ok" if all(c.ok for c in self.checks) else "degraded"


async def _timed(name: str, probe: Callable[[], Awaitable[str]], *, critical: bool) -> Check:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(probe(), TIMEOUT)
    except Exception as exc:
        return Check(name, False, f"{type(exc).__name__}: {exc}"[:300] or "failed", critical)
    return Check(name, True, detail, critical, round((time.perf_counter() - started) * 1000, 1))


async def _database(deps: Deps) -> str:
    async with deps.sessions() as s:
        await s.execute(sa.text("SELECT 1"))
    return "answers"


async def _database_write(deps: Deps) -> Check:
    """Write and commit this process's probe row: reads answering says nothing of a disk that
    is full. Failing, it takes the instance out of service (critical) and logs an ERROR; not
    finishing in time (another writer holding SQLite's one write lock) only degrades."""
    started = time.perf_counter()
    try:
        async with asyncio.timeout(TIMEOUT):
            async with deps.sessions() as s, s.begin():
                await write_probe(s, INSTANCE, datetime.now(UTC))
    except TimeoutError:
        return Check("database_write", False, f"a write did not finish in {TIMEOUT:g} s (busy?)")
    except Exception as exc:
        failure = storage_failure(exc)
        detail = failure.detail if failure else f"{type(exc).__name__}: {exc}"[:300]
        log.error("readiness: the database refused a write: %s", detail)
        return Check("database_write", False, detail, critical=True)
    elapsed = round((time.perf_counter() - started) * 1000, 1)
    return Check("database_write", True, "writes", critical=True, value=elapsed)


async def _temporal(deps: Deps) -> str:
    if deps.temporal is None:
        raise RuntimeError("no Temporal client in this process")
    ok = await deps.temporal.service_client.check_health(timeout=timedelta(seconds=TIMEOUT))
    if not ok:
        raise RuntimeError("the workflow service reports itself unavailable")
    return "answers"


async def _outbox(deps: Deps) -> Check:
    try:
        async with deps.sessions() as s:
            st = await box.stats(s)
    except Exception as exc:
        return Check("outbox", False, f"cannot read: {type(exc).__name__}")
    oldest = st.oldest_unsent
    age = (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else 0.0
    limit = deps.settings.outbox_stale_seconds
    detail = f"{st.unsent} unsent, oldest {age:.1f} s (limit {limit:g} s), {st.parked} parked"
    if st.parked:
        detail += ": see `lianban ops stalled --reason outbox_parked`"
    return Check("outbox", age <= limit and not st.parked, detail, value=round(age, 1))


def calendar_incident(deps: Deps, today: date) -> str | None:
    """What is wrong with the official calendar as of ``today`` (None when nothing): the year,
    and the coming one from `LIANBAN_CALENDAR_NEXT_YEAR_FROM` (default 1 November). Shown by
    /readyz and on the operator's page."""
    missing = missing_years(deps.calendar(), today, deps.settings.next_year_from)
    if not missing:
        return None
    return (
        f"no official schedule for {', '.join(map(str, missing))}: deadlines reaching into it "
        "are provisional (weekdays only); load it with `lianban calendar load FILE`"
    )


def _calendar(deps: Deps, today: date) -> Check:
    incident = calendar_incident(deps, today)
    if incident is None:
        return Check("calendar", True, f"official schedule known for {today.year}")
    return Check("calendar", False, incident)


async def _lag(deps: Deps, broker: BrokerProbe, topic: str) -> Check:
    group = f"{deps.settings.consumer_group}.{topic}"
    lag = await broker.lag(group, topic)
    name = f"consumer:{topic}"
    if lag.records is None:
        return Check(name, False, f"lag of group {group} unknown")
    limit = deps.settings.consumer_lag_limit
    detail = f"{lag.records} records behind (limit {limit})"
    return Check(name, lag.records <= limit, detail, value=float(lag.records))


async def check_health(
    deps: Deps, broker: BrokerProbe, *, today: date | None = None
) -> HealthReport:
    """Every check at once, each bounded by a short timeout (`today`: for the calendar)."""

    async def topics() -> str:
        detail = f"answers, {len(await broker.topics())} topics"
        # What this process's relay did when the broker lost records (it logs each one too).
        lost = recovery_log(deps.settings.kafka_bootstrap, deps.settings.topic_prefix)
        return f"{detail}; {lost.summary()}" if lost.recoveries else detail

    base = await asyncio.gather(
        _timed("database", lambda: _database(deps), critical=True),
        _database_write(deps),
        _timed("temporal", lambda: _temporal(deps), critical=True),
        _timed("broker", topics, critical=False),
        _outbox(deps),
    )
    checks = [*base, _calendar(deps, today or local_date(datetime.now(UTC)))]
    if checks[3].ok:  # the broker
        incoming = [deps.topics.name(topic) for topic in inbound()]
        checks += await asyncio.gather(*(_lag(deps, broker, t) for t in incoming))
    return HealthReport(checks)
