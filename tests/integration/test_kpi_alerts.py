"""KPI thresholds raise alerts (services/leaders/kpi.py): a matter's on-time rate this week below
a leader's floor fires a `kpi` alert shown with the others; back at or above it (or the floor
removed), the alert resolves. On the real read model (SQLite), figures from the report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from infra.bootstrap import Deps
from services.errors import Refused, UnknownThreshold
from services.leaders import kpi
from services.leaders.reports import today_local
from services.operators.alerts import firing_alerts
from store.schema import cases
from tests.utils.rows import case_row

pytestmark = pytest.mark.integration
MATTER = "IND-CONSTRUCTION"


async def _concluded(deps: Deps, n: int, *, late: bool) -> None:
    """`n` cases of MATTER granted today, after (late) or before their promised date."""
    now = datetime.now(UTC)
    today = today_local()
    due = today - timedelta(days=3) if late else today + timedelta(days=3)
    async with deps.sessions() as s, s.begin():
        for i in range(n):
            row = case_row(
                f"KPI-{'L' if late else 'O'}{i}-{now.timestamp():.0f}",
                now - timedelta(days=10),
                status="issued",
                outcome="granted",
                accepted_at=now - timedelta(days=10),
                concluded_at=now,
                promised_due=due,
                statutory_due=due + timedelta(days=20),
            )
            await s.execute(sa.insert(cases).values(**row))


async def _kpi_alerts(deps: Deps) -> list[dict[str, object]]:
    return [a for a in await firing_alerts(deps) if a["source"] == "kpi"]


async def test_an_on_time_rate_below_its_floor_fires_and_resolves(sqlite_deps: Deps) -> None:
    deps = sqlite_deps
    await _concluded(deps, 9, late=False)
    await _concluded(deps, 1, late=True)  # 90 % on time this week
    await kpi.set_threshold(
        deps, matter_code=MATTER, kpi="on_time_rate", threshold=0.95, set_by="张主任"
    )
    found = await kpi.evaluate(deps)
    assert [b.value for b in found] == [0.9]
    (alert,) = await _kpi_alerts(deps)
    assert alert["name"] == "KpiBelowThreshold:on_time_rate" and alert["matter_code"] == MATTER
    assert "90.0%" in str(alert["summary"]) and "95.0%" in str(alert["summary"])
    started = alert["starts_at"]

    await kpi.evaluate(deps)  # still below: the same alert, same start
    (again,) = await _kpi_alerts(deps)
    assert again["starts_at"] == started

    await kpi.set_threshold(
        deps, matter_code=MATTER, kpi="on_time_rate", threshold=0.9, set_by="张主任"
    )
    assert await kpi.evaluate(deps) == []  # at the floor is not below it
    assert await _kpi_alerts(deps) == []

    await kpi.set_threshold(
        deps, matter_code=MATTER, kpi="on_time_rate", threshold=0.99, set_by="张主任"
    )
    await kpi.evaluate(deps)
    assert len(await _kpi_alerts(deps)) == 1
    await kpi.remove_threshold(deps, MATTER, "on_time_rate")
    await kpi.evaluate(deps)
    assert await _kpi_alerts(deps) == []


async def test_thresholds_are_checked_when_set(sqlite_deps: Deps) -> None:
    bad = [
        {"matter_code": "NO-SUCH", "kpi": "on_time_rate", "threshold": 0.9},
        {"matter_code": MATTER, "kpi": "speed", "threshold": 0.9},
        {"matter_code": MATTER, "kpi": "on_time_rate", "threshold": 95.0},
        {"matter_code": MATTER, "kpi": "on_time_rate", "threshold": 0.9, "period": "year"},
    ]
    for args in bad:
        with pytest.raises(Refused):
            await kpi.set_threshold(sqlite_deps, set_by="x", **args)  # type: ignore[arg-type]
    with pytest.raises(UnknownThreshold):
        await kpi.remove_threshold(sqlite_deps, MATTER, "on_time_rate")
