"""The leaders' KPI thresholds per matter, and the alerts they raise.

A leader sets a floor under a figure of a matter (`domain.kpi.KPIS`: on-time rate,
satisfaction, online rate) over the current week or month; every `LIANBAN_KPI_CHECK_SECONDS`
each API process computes the figures with the efficiency report and raises an alert (source
`kpi`, fingerprint `kpi:<matter>:<kpi>`) for each figure below its floor, resolved once it is
back above or the threshold is removed. Several API processes write the same rows: harmless.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from domain.kpi import KPIS, PERIODS, KpiBreach, Period, RowKey, Threshold, breaches, period_start
from domain.report_model import ReportScope, SlaRow
from infra.bootstrap import Deps
from services.errors import Refused, UnknownThreshold
from services.leaders.reports import sla_report, today_local
from store import alerts as store

DOCS = "monitoring.md#kpi-thresholds"


def _check(deps: Deps, matter_code: str, kpi: str, threshold: float, period: str) -> None:
    if deps.catalog.matter(matter_code) is None:
        raise Refused(f"unknown matter {matter_code!r}")
    if kpi not in KPIS:
        raise Refused(f"unknown KPI {kpi!r}; known: {', '.join(KPIS)}")
    if not 0 < threshold <= 1:
        raise Refused(f"threshold {threshold!r} must be a share above 0 and at most 1 (0.95)")
    if period not in PERIODS:
        raise Refused(f"period {period!r} must be one of {', '.join(PERIODS)}")


async def set_threshold(
    deps: Deps,
    *,
    matter_code: str,
    kpi: str,
    threshold: float,
    period: str = "week",
    min_cases: int = 1,
    set_by: str,
) -> dict[str, Any]:
    """Set (or replace) one matter's threshold on one KPI; checked at the next evaluation."""
    _check(deps, matter_code, kpi, threshold, period)
    if not 1 <= min_cases <= 100_000:
        raise Refused(f"min_cases {min_cases} must be between 1 and 100000")
    row = {
        "matter_code": matter_code,
        "kpi": kpi,
        "threshold": threshold,
        "period": period,
        "min_cases": min_cases,
        "set_by": set_by[:100],
        "set_at": datetime.now(UTC),
    }
    async with deps.sessions() as s, s.begin():
        await store.set_threshold(s, row)
    return row


async def remove_threshold(deps: Deps, matter_code: str, kpi: str) -> None:
    async with deps.sessions() as s, s.begin():
        if not await store.delete_threshold(s, matter_code, kpi):
            raise UnknownThreshold(f"no {kpi!r} threshold for {matter_code!r}")


async def thresholds(deps: Deps) -> list[dict[str, Any]]:
    async with deps.sessions() as s:
        return await store.thresholds(s)


async def _rows(deps: Deps, wanted: set[RowKey], today: date) -> dict[RowKey, SlaRow]:
    async def one(key: RowKey) -> tuple[RowKey, SlaRow | None]:
        period, by, matter = key
        scope = ReportScope(period_start(period, today), today, matter, today=today)
        report = await sla_report(deps, scope, by=by)
        return key, next((r for r in report.matters if r.key == matter), None)

    found = await asyncio.gather(*(one(k) for k in sorted(wanted)))
    return {k: row for k, row in found if row is not None}


def _alert(b: KpiBreach) -> store.AlertRow:
    t = b.threshold
    return store.AlertRow(
        fingerprint=b.fingerprint,
        source="kpi",
        name=f"KpiBelowThreshold:{t.kpi}",
        severity="warning",
        status="firing",
        summary=b.summary,
        runbook_url=DOCS,
        matter_code=t.matter_code,
        labels={"kpi": t.kpi, "matter": t.matter_code, "period": t.period},
        starts_at=datetime.now(UTC),
        ends_at=None,
    )


async def evaluate(deps: Deps, today: date | None = None) -> list[KpiBreach]:
    """Compare every threshold with its figure; raise and resolve the KPI alerts."""
    today = today or today_local()
    rows = [
        Threshold(r["matter_code"], r["kpi"], r["threshold"], r["period"], r["min_cases"])
        for r in await thresholds(deps)
    ]
    keys = {(t.period, KPIS[t.kpi].by, t.matter_code) for t in rows if t.kpi in KPIS}
    found = breaches(rows, await _rows(deps, keys, today), today)
    now = datetime.now(UTC)
    async with deps.sessions() as s, s.begin():
        known = {a["fingerprint"]: a for a in await store.firing(s, limit=10_000)}
        for b in found:
            alert = _alert(b)
            if b.fingerprint in known:  # still firing: keep when it started
                alert = _keep_start(alert, known[b.fingerprint]["starts_at"])
            await store.upsert_alert(s, alert, now)
        await store.resolve_missing(s, "kpi", {b.fingerprint for b in found}, now)
    return found


def _keep_start(alert: store.AlertRow, started: datetime) -> store.AlertRow:
    return replace(alert, starts_at=started)


__all__ = ["Period", "evaluate", "remove_threshold", "set_threshold", "thresholds"]
