"""Alerts that reach someone: what Alertmanager reports through its webhook is kept, and the
firing ones are shown on /ops and the dashboard (with the KPI alerts, services/leaders/kpi.py).

Alertmanager sends every alert of a group on each notification, firing and resolved, each with
its fingerprint; an alert is kept by fingerprint and its latest state wins. Text is masked like
a log line (`domain.privacy`): the rules' labels carry no personal data, but a rule someone
adds might.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from domain.privacy import mask_text
from infra.bootstrap import Deps
from store import alerts as store

SEVERITIES = ("critical", "warning", "info")
MAX_LABEL_CHARS = 200


@dataclass(frozen=True)
class IncomingAlert:
    """One alert of a webhook notification (docs/monitoring.md "The alert webhook")."""

    status: str  # firing | resolved
    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: datetime
    ends_at: datetime | None
    fingerprint: str


def _row(a: IncomingAlert) -> store.AlertRow:
    labels = {k: mask_text(v)[:MAX_LABEL_CHARS] for k, v in a.labels.items()}
    severity = labels.get("severity", "warning")
    summary = a.annotations.get("summary") or a.annotations.get("description") or ""
    # Alertmanager sends 0001-01-01 as the end of a firing alert: no end yet.
    ends = a.ends_at if a.status == "resolved" and a.ends_at and a.ends_at.year > 1 else None
    return store.AlertRow(
        fingerprint=f"am:{a.fingerprint}",
        source="prometheus",
        name=labels.get("alertname", "unnamed")[:100],
        severity=severity if severity in SEVERITIES else "warning",
        status="resolved" if a.status == "resolved" else "firing",
        summary=mask_text(summary)[:500] or labels.get("alertname", ""),
        runbook_url=a.annotations.get("runbook_url", "")[:300] or None,
        matter_code=labels.get("matter"),
        labels=labels,
        starts_at=a.starts_at.astimezone(UTC),
        ends_at=ends.astimezone(UTC) if ends else None,
    )


async def receive(deps: Deps, incoming: list[IncomingAlert]) -> dict[str, int]:
    """Keep each alert's latest state; how many are firing and resolved in this notification."""
    now = datetime.now(UTC)
    rows = [_row(a) for a in incoming]
    async with deps.sessions() as s, s.begin():
        for row in rows:
            await store.upsert_alert(s, row, now)
    firing = sum(1 for r in rows if r.status == "firing")
    return {"firing": firing, "resolved": len(rows) - firing}


async def firing_alerts(deps: Deps, limit: int = 100) -> list[dict[str, Any]]:
    """The alerts firing now, critical first (what /ops and the dashboard show)."""
    async with deps.sessions() as s:
        return await store.firing(s, limit)
