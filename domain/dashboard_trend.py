"""The dashboard's weekly trend: case volume and on-time rate per week of the period.

Pure. Weeks run Monday to Sunday (Asia/Shanghai days); a week with no case is shown with 0
cases and no rate; the on-time rate is the report's (on time / settled, settled = on time +
overdue). A period with no start shows the `DEFAULT_WEEKS` weeks up to its end (or today); a
longer one its last `MAX_WEEKS` weeks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from domain.dashboard import Chart, Column, Table

DEFAULT_WEEKS = 12
MAX_WEEKS = 104


@dataclass(frozen=True)
class Week:
    monday: date
    cases: int = 0
    on_time: int = 0
    overdue: int = 0

    @property
    def settled(self) -> int:
        return self.on_time + self.overdue

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.settled if self.settled else None


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def trend_span(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The first and last Monday the trend shows for the period [start, end]."""
    last = monday(end or today)
    first = monday(start) if start else last - timedelta(weeks=DEFAULT_WEEKS - 1)
    return max(first, last - timedelta(weeks=MAX_WEEKS - 1)), last


def weeks(first: date, last: date, counted: Iterable[Week]) -> list[Week]:
    """Every week from `first` to `last` (Mondays), the counted ones filled in."""
    by = {w.monday: w for w in counted}
    out, day = [], first
    while day <= last:
        out.append(by.get(day, Week(day)))
        day += timedelta(weeks=1)
    return out


TREND_COLUMNS = (
    Column("week", "周 Week of", "text"),
    Column("cases", "办件量 Case volume", "count"),
    Column("settled", "已有结果 Settled", "count"),
    Column("on_time_rate", "按时办结率 On-time rate", "rate"),
)


def trend_table(rows: list[Week]) -> Table:
    values = tuple((w.monday.isoformat(), w.cases, w.settled, w.on_time_rate) for w in rows)
    chart = Chart(
        "每周办件量与按时办结率 Weekly case volume and on-time rate",
        "week",
        ("cases", "on_time_rate"),
        kind="trend",
    )
    return Table("trend", "每周趋势 Weekly trend", TREND_COLUMNS, values, chart)
