"""Alerts and KPI thresholds (store.schema `alerts`, `kpi_thresholds`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from store.db import insert_ignore
from store.schema import alerts, kpi_thresholds


@dataclass(frozen=True)
class AlertRow:
    """One alert as reported (firing or resolved), keyed by its fingerprint."""

    fingerprint: str
    source: str
    name: str
    severity: str
    status: str
    summary: str
    runbook_url: str | None
    matter_code: str | None
    labels: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None


async def upsert_alert(s: AsyncSession, a: AlertRow, now: datetime) -> None:
    """Record the alert's latest state: a new fingerprint is inserted, a known one updated
    (a resolved alert that fires again is firing again)."""
    values: dict[str, Any] = {**a.__dict__, "updated_at": now}
    dialect = s.get_bind().dialect.name
    inserted = await s.execute(insert_ignore(dialect, alerts, "fingerprint"), values)
    if not getattr(inserted, "rowcount", 0):
        changes = {k: v for k, v in values.items() if k != "fingerprint"}
        await s.execute(
            sa.update(alerts).where(alerts.c.fingerprint == a.fingerprint).values(**changes)
        )


async def resolve_missing(
    s: AsyncSession, source: str, firing: set[str], now: datetime
) -> list[str]:
    """Resolve every firing alert of `source` whose fingerprint is not in `firing`."""
    query = sa.select(alerts.c.fingerprint).where(
        alerts.c.source == source, alerts.c.status == "firing"
    )
    gone = [f for f in (await s.execute(query)).scalars() if f not in firing]
    if gone:
        await s.execute(
            sa.update(alerts)
            .where(alerts.c.fingerprint.in_(gone))
            .values(status="resolved", ends_at=now, updated_at=now)
        )
    return gone


async def firing(s: AsyncSession, limit: int = 100) -> list[dict[str, Any]]:
    """Firing alerts, critical first, then the oldest."""
    order = sa.case(
        (alerts.c.severity == "critical", 0), (alerts.c.severity == "warning", 1), else_=2
    )
    query = (
        sa.select(alerts)
        .where(alerts.c.status == "firing")
        .order_by(order, alerts.c.starts_at, alerts.c.id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in await s.execute(query)]


async def firing_counts(s: AsyncSession) -> dict[str, int]:
    query = (
        sa.select(alerts.c.source, sa.func.count())
        .where(alerts.c.status == "firing")
        .group_by(alerts.c.source)
    )
    return {str(source): int(n) for source, n in (await s.execute(query)).all()}


# --- KPI thresholds -----------------------------------------------------------------------


async def thresholds(s: AsyncSession) -> list[dict[str, Any]]:
    query = sa.select(kpi_thresholds).order_by(kpi_thresholds.c.matter_code, kpi_thresholds.c.kpi)
    return [dict(r._mapping) for r in await s.execute(query)]


async def set_threshold(s: AsyncSession, row: dict[str, Any]) -> None:
    key = {"matter_code": row["matter_code"], "kpi": row["kpi"]}
    await s.execute(sa.delete(kpi_thresholds).filter_by(**key))
    await s.execute(sa.insert(kpi_thresholds).values(**row))


async def delete_threshold(s: AsyncSession, matter_code: str, kpi: str) -> bool:
    result = await s.execute(sa.delete(kpi_thresholds).filter_by(matter_code=matter_code, kpi=kpi))
    return bool(getattr(result, "rowcount", 0))
