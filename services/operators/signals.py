"""The gauges a periodic query refreshes (docs/monitoring.md): what the center's staff see —
running cases by clock state, stalled items, supervision, provisional clocks, the calendar —
health, the outbox and consumer lag. Cheap reads of the read model every
`LIANBAN_METRICS_REFRESH_SECONDS`, never per request; each process refreshes those of the
parts it runs (business figures and health: the API; outbox: the relay; lag: the consumers).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from domain.calendar_source import missing_years
from infra import metrics
from infra.bootstrap import Deps
from infra.broker_probe import BrokerProbe
from services.operators.health import check_health
from services.operators.stalled import REASONS, find_stalled
from services.operators.stalled_model import StalledFilter
from store import alerts as alert_store
from store import dashboard as dash
from store import outbox as box
from store.supervision import supervision_counts

STALLED_CAP = 10_000  # items per reason counted (the gauge saturates there)


async def refresh_business(deps: Deps, today: date) -> None:
    """Running cases by matter and clock, stalled by reason, supervision, calendar, alerts."""
    data = deps.calendar()
    async with deps.sessions() as s:
        running = await dash.running_by_level(s)
        provisional = await dash.provisional_count(s, data.years)
        supervision = await supervision_counts(s, today)
        alerts = await alert_store.firing_counts(s)
    stalled = await find_stalled(deps, StalledFilter(limit=STALLED_CAP), live=False)
    matters = {m.code for m in deps.catalog.matters} | {m for m, _, _ in running}
    counts = {(m, level): n for m, level, n in running}
    metrics.set_gauges(
        metrics.CASES_RUNNING,
        (
            ((m, state), counts.get((m, level), 0))
            for m in sorted(matters)
            for level, state in metrics.CLOCK_STATES.items()
        ),
    )
    by_reason = {r: 0 for r in REASONS}
    for item in stalled:
        by_reason[item.reason] = by_reason.get(item.reason, 0) + 1
    metrics.set_gauges(metrics.CASES_STALLED, (((r,), n) for r, n in by_reason.items()))
    owners = {c.owner or "center": c for c in supervision}
    departments = sorted({*deps.catalog.departments, *owners})
    metrics.set_gauges(
        metrics.SUPERVISION_OPEN,
        (((d,), owners[d].open if d in owners else 0) for d in departments),
    )
    metrics.set_gauges(
        metrics.SUPERVISION_OVERDUE,
        (((d,), owners[d].overdue if d in owners else 0) for d in departments),
    )
    metrics.CLOCKS_PROVISIONAL.set(provisional.n)
    metrics.CALENDAR_MISSING.set(len(missing_years(data, today, deps.settings.next_year_from)))
    metrics.set_gauges(
        metrics.ALERTS_ACTIVE, (((src,), alerts.get(src, 0)) for src in ("prometheus", "kpi"))
    )


async def refresh_health(deps: Deps, probe: BrokerProbe) -> None:
    """Each /readyz check as 1 or 0, and readiness itself."""
    report = await check_health(deps, probe)
    metrics.set_gauges(
        metrics.HEALTH_OK, (((metrics.label_of(c.name, 200),), float(c.ok)) for c in report.checks)
    )
    metrics.READY.set(0.0 if report.status == "down" else 1.0)


async def refresh_outbox(deps: Deps) -> None:
    async with deps.sessions() as s:
        st = await box.stats(s)
    age = (datetime.now(UTC) - st.oldest_unsent).total_seconds() if st.oldest_unsent else 0.0
    metrics.OUTBOX_UNSENT.set(st.unsent)
    metrics.OUTBOX_OLDEST.set(max(age, 0.0))
    metrics.OUTBOX_PARKED.set(st.parked)


async def refresh_lag(probe: BrokerProbe, groups: Iterable[tuple[str, str]]) -> None:
    """Lag per (group, topic, partition); a group whose lag is unknown keeps its last value."""
    for group, topic in groups:
        lags = await probe.partition_lags(group, topic)
        if lags is None:
            continue
        for partition, n in lags.items():
            metrics.CONSUMER_LAG.labels(group, topic, str(partition)).set(n)
