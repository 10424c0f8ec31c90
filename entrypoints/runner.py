"""Runs the project's processes in one event loop: worker, consumers, relay and API.

Each part can also run alone (`lianban worker`, …); together they suit the embedded stack and
the tests. Shutdown is orderly: stop taking input, drain, close clients — temporalio aborts at
interpreter exit otherwise (docs/production.md, "The embedded stack").
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError

from entrypoints.consumers import EventConsumer, build_consumers
from entrypoints.metrics_port import port_for, serve_port
from entrypoints.relay import OutboxRelay, make_producer
from entrypoints.worker import build_worker
from infra import metrics, periodic, temporal_metrics, tracing
from infra.bootstrap import Deps
from infra.broker_probe import BrokerProbe
from services.departments.delivery import run_sweeper
from store.spans import store_spans

if TYPE_CHECKING:  # the API's stack (FastAPI, the pages, matplotlib): imported where it runs
    import uvicorn

log = logging.getLogger("lianban.runner")


@dataclass
class Parts:
    worker: bool = True
    consumers: bool = True
    relay: bool = True
    api: bool = True


@dataclass
class Running:
    """Handles to what `serve` started, for tests and benchmarks to watch."""

    consumers: list[EventConsumer] = field(default_factory=list)
    relay: OutboxRelay | None = None
    api_server: uvicorn.Server | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)


def api_config(deps: Deps) -> uvicorn.Config:
    """The API's server. uvicorn takes `X-Forwarded-For`/`-Proto` only from the addresses in
    LIANBAN_TRUSTED_PROXIES; by default from none (uvicorn's own default trusts 127.0.0.1, so
    anything on the host, or a caller through a proxy that passes the header on, could choose
    the address that query-code and sign-in attempts are counted against).

    Imported here, not at the top: a process without the API (a worker on its own) would
    otherwise hold FastAPI, the pages and matplotlib, ~55 MB it never uses (bench.memory)."""
    import uvicorn

    from entrypoints.http.app import create_app

    s = deps.settings
    deps.passwords.prepare()  # sign-ins are served here: the refusals' dummy hash, off the loop
    return uvicorn.Config(
        create_app(deps),
        host=s.api_host,
        port=s.api_port,
        log_level="warning",
        lifespan="off",
        proxy_headers=bool(s.trusted_proxies),
        forwarded_allow_ips=list(s.trusted_proxies),
    )


async def _run_api(deps: Deps, running: Running, stop: asyncio.Event) -> None:
    import uvicorn

    from entrypoints.api.health import close_probe

    config = api_config(deps)
    server = uvicorn.Server(config)
    running.api_server = server
    task = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    await task
    await close_probe(config.app)


async def _run_supervision_sweep(deps: Deps, stop: asyncio.Event) -> None:
    """Escalate overdue supervision items every `supervision_sweep_seconds`. Every API process
    runs it: each escalation is a conditional update, so only one of them records it."""
    from services.leaders.supervision import sweep_overdue

    async def sweep() -> None:
        if escalated := await sweep_overdue(deps):
            log.warning("%d overdue supervision item(s) escalated", escalated)

    every = deps.settings.supervision_sweep_seconds
    await periodic.every(every, stop, sweep, log, "escalating overdue supervision items failed")


DRAIN_SECONDS = 2.0  # the Temporal SDK's metric buffer, between scrapes too


async def _run_metrics(deps: Deps, parts: Parts, running: Running, stop: asyncio.Event) -> None:
    """This process's metrics: the parts it runs, the gauges' periodic queries, the Temporal
    SDK's buffer, and — for a process without the API — its metrics port."""
    names = [n for n in ("worker", "consumers", "relay", "api") if getattr(parts, n)]
    metrics.set_gauges(metrics.PARTS, (((n,), 1.0) for n in names))
    port = 0 if parts.api else port_for(deps.settings, names)
    server = asyncio.create_task(serve_port(deps.settings, port, stop)) if port else None
    probe = BrokerProbe(deps.settings) if parts.api or parts.consumers else None
    every, due = deps.settings.metrics_refresh_seconds, 0.0
    try:
        while not stop.is_set():
            temporal_metrics.drain()
            if asyncio.get_running_loop().time() >= due:
                await _refresh_gauges(deps, parts, running, probe)
                due = asyncio.get_running_loop().time() + every
            await periodic.rest(stop, min(DRAIN_SECONDS, every))
    finally:
        if probe is not None:
            await probe.close()
        if server is not None:
            await server


async def _refresh_gauges(
    deps: Deps, parts: Parts, running: Running, probe: BrokerProbe | None
) -> None:
    from services.leaders.reports import today_local
    from services.operators import signals

    groups: list[tuple[str, Awaitable[None]]] = []
    if parts.api and probe is not None:
        groups += [
            ("business", signals.refresh_business(deps, today_local())),
            ("health", signals.refresh_health(deps, probe)),
        ]
    if parts.relay:
        groups.append(("outbox", signals.refresh_outbox(deps)))
    if parts.consumers and probe is not None:
        lagging = [(c.group, c.topic) for c in running.consumers]
        groups.append(("lag", signals.refresh_lag(probe, lagging)))
    for name, refresh in groups:
        try:
            await refresh
            metrics.REFRESH_ERRORS.labels(name).set(0)
        except Exception as exc:  # the database away for a moment: the gauges keep their values
            metrics.REFRESH_ERRORS.labels(name).set(1)
            log.warning("refreshing the %s gauges failed: %r", name, exc)


async def _run_kpi(deps: Deps, stop: asyncio.Event) -> None:
    """Compare the leaders' KPI thresholds with the figures every `kpi_check_seconds`."""
    from services.leaders.kpi import evaluate

    every = deps.settings.kpi_check_seconds
    await periodic.every(
        every, stop, lambda: evaluate(deps), log, "checking the KPI thresholds failed"
    )


async def _run_anchors(deps: Deps, stop: asyncio.Event) -> None:
    """Audit anchors every `anchor_every_minutes`, by whichever API process holds the lease."""
    from datetime import timedelta

    from services.auditors.schedule import anchor_on_schedule

    every = timedelta(minutes=deps.settings.anchor_every_minutes)
    await anchor_on_schedule(deps, stop, every)


async def _run_span_writer(deps: Deps, stop: asyncio.Event) -> None:
    """Store finished spans in the database (the embedded default needs no collector)."""
    sink = tracing.register_sink()
    try:
        while not stop.is_set():
            try:
                rows = await asyncio.wait_for(sink.queue.get(), timeout=0.5)
            except TimeoutError:
                continue
            await _store_spans(deps, rows)
    finally:
        tracing.unregister_sink(sink)
        tracing.flush()
        while not sink.queue.empty():
            await _store_spans(deps, sink.queue.get_nowait())


SPAN_ATTEMPTS = 3


async def _store_spans(deps: Deps, rows: list[dict[str, Any]], backoff: float = 0.5) -> None:
    """Spans are telemetry: a database blip (a connection cut, a failover) is retried a few
    times, then the batch is dropped with an error in the log — it must not end the process
    (the fault suite cuts every connection mid-run)."""
    for attempt in range(1, SPAN_ATTEMPTS + 1):
        try:
            await store_spans(deps.sessions, rows)
            return
        except (DBAPIError, OSError) as exc:
            log.warning("spans not stored (%r), attempt %d of %d", exc, attempt, SPAN_ATTEMPTS)
            await asyncio.sleep(backoff * attempt)
    log.error("dropped %d spans after %d attempts", len(rows), SPAN_ATTEMPTS)


async def _run_worker(deps: Deps, stop: asyncio.Event) -> None:
    worker = build_worker(deps)
    async with worker:
        await stop.wait()


async def _run_relay(deps: Deps, parts: Parts, running: Running, stop: asyncio.Event) -> None:
    producer = make_producer(deps.settings)
    await producer.start()
    try:
        relay = OutboxRelay(
            deps, producer, writers_here=parts.worker and parts.consumers and parts.api
        )
        running.relay = relay
        await relay.run(stop)
    finally:
        await producer.stop()


def settle_heap() -> None:
    """Move everything alive after start-up (modules, classes, the catalog, the calendar) out of
    the garbage collector's sight. A full collection otherwise walks those few hundred thousand
    objects: 120 ms pauses that landed in random requests (the stalled list's and one-case
    verify's p99 in bench/scale). They live as long as the process anyway."""
    gc.collect()
    gc.freeze()


async def serve(
    deps: Deps, stop: asyncio.Event, parts: Parts | None = None, running: Running | None = None
) -> None:
    """Run the chosen parts until `stop` is set; any part crashing stops them all."""
    settle_heap()
    parts = parts or Parts()
    running = running or Running()
    tasks: list[asyncio.Task[None]] = []
    if deps.settings.spans_in_database:
        tasks.append(asyncio.create_task(_run_span_writer(deps, stop), name="spans"))
    if parts.worker:
        tasks.append(asyncio.create_task(_run_worker(deps, stop), name="worker"))
    if parts.relay:
        tasks.append(asyncio.create_task(_run_relay(deps, parts, running, stop), name="relay"))
    if parts.consumers:
        running.consumers = build_consumers(deps)
        tasks += [asyncio.create_task(c.serve(stop), name=c.topic) for c in running.consumers]
    if deps.temporal is not None:  # every process that can signal a case delivers decisions
        tasks.append(asyncio.create_task(run_sweeper(deps, stop), name="deliveries"))
    if parts.api:
        tasks.append(asyncio.create_task(_run_api(deps, running, stop), name="api"))
        tasks.append(asyncio.create_task(_run_supervision_sweep(deps, stop), name="supervision"))
        tasks.append(asyncio.create_task(_run_kpi(deps, stop), name="kpi"))
    if metrics.enabled():
        tasks.append(asyncio.create_task(_run_metrics(deps, parts, running, stop), name="metrics"))
        if deps.settings.anchor_every_minutes > 0:
            tasks.append(asyncio.create_task(_run_anchors(deps, stop), name="anchors"))
    running.started.set()
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        for t in done:
            if t.exception() is not None:
                log.error("%s crashed: %r", t.get_name(), t.exception())
                raise t.exception()  # type: ignore[misc]
    finally:
        stop.set()
        for t in tasks:
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(t, timeout=15)
