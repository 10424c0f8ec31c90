"""KPI thresholds: a leader's floor under one figure of one matter (e.g. the on-time rate at
95 % this week). Pure: the figures come from the efficiency report (`domain.reports`), this
says which thresholds they fall below. Each one that does is an alert like any other
(services/leaders/kpi.py), shown on /ops and the dashboard until the figure recovers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from domain.report_model import SlaRow

Period = Literal["week", "month"]
By = Literal["submitted", "concluded"]
PERIODS: tuple[Period, ...] = ("week", "month")


@dataclass(frozen=True)
class Kpi:
    """A rate of the report's matter row, with what it is out of (the `min_cases` floor)."""

    name: str
    title: str
    rate: str  # the SlaRow property
    out_of: str  # the SlaRow field or property it is a share of
    by: By  # which cases of the period the report counts


KPIS: Mapping[str, Kpi] = {
    k.name: k
    for k in (
        # Of the cases concluded in the period, the share concluded by the promised date.
        Kpi("on_time_rate", "按时办结率 On-time rate", "on_time_rate", "settled", "concluded"),
        Kpi("satisfaction", "满意率 Satisfaction", "satisfaction", "rated", "concluded"),
        # Of the applications submitted in the period, the share submitted online.
        Kpi("online_rate", "网上办理率 Online rate", "online_rate", "cases", "submitted"),
    )
}


@dataclass(frozen=True)
class Threshold:
    matter_code: str
    kpi: str
    threshold: float  # a share, 0..1
    period: Period = "week"
    min_cases: int = 1


@dataclass(frozen=True)
class KpiBreach:
    threshold: Threshold
    value: float
    out_of: int
    start: date

    @property
    def fingerprint(self) -> str:
        return f"kpi:{self.threshold.matter_code}:{self.threshold.kpi}"

    @property
    def summary(self) -> str:
        t = self.threshold
        return (
            f"{t.matter_code}: {KPIS[t.kpi].title} {self.value:.1%} since {self.start} "
            f"({self.out_of} cases), below the threshold of {t.threshold:.1%}"
        )


def period_start(period: Period, today: date) -> date:
    """The first day of the current week (Monday) or month."""
    if period == "week":
        return today - timedelta(days=today.weekday())
    return today.replace(day=1)


RowKey = tuple[Period, By, str]  # (period, which cases, matter)


def row_key(t: Threshold) -> RowKey:
    return (t.period, KPIS[t.kpi].by, t.matter_code)


def breaches(
    thresholds: Iterable[Threshold], rows: Mapping[RowKey, SlaRow], today: date
) -> list[KpiBreach]:
    """The thresholds whose figure is below them: `rows` holds the report row of each
    (period, selection, matter). A figure over fewer than `min_cases` cases (or none) raises
    nothing."""
    found = []
    for t in thresholds:
        if t.kpi not in KPIS:
            continue
        row = rows.get(row_key(t))
        kpi = KPIS.get(t.kpi)
        if row is None or kpi is None:
            continue
        value, out_of = getattr(row, kpi.rate), int(getattr(row, kpi.out_of))
        if value is None or out_of < max(t.min_cases, 1):
            continue
        if value < t.threshold:
            found.append(KpiBreach(t, float(value), out_of, period_start(t.period, today)))
    return found
