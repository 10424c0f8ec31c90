"""The leadership dashboard's tables, from the efficiency report and the warning counts.

Pure. Each table is what the page shows under a chart and what its CSV export holds, so the
two cannot disagree. Figures and their definitions: :mod:`domain.reports` (docs/reports.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from domain.report_model import SlaReport, SlaRow
from domain.spreadsheet import csv_text

Value = int | float | str | None
Unit = Literal["count", "rate", "days", "number", "text"]
LEVELS = ("yellow", "red", "breach")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    unit: Unit
    shown: bool = True  # False: in the CSV only (a code the page names in words instead)


@dataclass(frozen=True)
class Chart:
    """Bars: one group per row (labelled by ``label``), one bar per series column; a trend:
    the first series as bars and the second as a line on a 0–100 % axis, per row (week)."""

    title: str
    label: str
    series: tuple[str, ...]
    kind: Literal["bars", "trend"] = "bars"


@dataclass(frozen=True)
class Table:
    name: str  # also the CSV's name: dashboard-<name>.csv
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Value, ...], ...]
    chart: Chart

    @classmethod
    def of(
        cls,
        name: str,
        title: str,
        columns: tuple[Column, ...],
        rows: Iterable[object],
        chart: Chart,
    ) -> Table:
        """The table of `rows` (objects with an attribute per column key)."""
        values = tuple(tuple(getattr(r, c.key) for c in columns) for r in rows)
        return cls(name, title, columns, values, chart)

    def column(self, key: str) -> list[Value]:
        i = [c.key for c in self.columns].index(key)
        return [r[i] for r in self.rows]


@dataclass(frozen=True)
class WarningRow:
    key: str  # the matter code ("ALL": the total)
    name: str
    yellow: int = 0
    red: int = 0
    breach: int = 0
    provisional: int = 0  # of these, cases whose due dates are provisional (calendar missing)


# Overview: (figure key, label, unit, definition); values from the total (or department) row.
OVERVIEW: tuple[tuple[str, str, Unit, str], ...] = (
    ("cases", "办件量 Case volume", "count", "applications submitted in the period"),
    ("concluded", "办结 Concluded", "count", "granted or refused"),
    ("on_time_rate", "按时办结率 On-time rate", "rate", "on time / settled"),
    ("early_rate", "提前办结率 Early-completion rate", "rate", "early / settled"),
    ("overdue", "逾期件数 Overdue", "count", "late against the promise, done or still open"),
    ("overdue_rate", "逾期率 Overdue rate", "rate", "overdue / settled"),
    ("breached", "超法定时限 Statutory breaches", "count", "late against the statutory limit"),
    ("avg_working_days", "平均办理工作日 Avg working days", "days", "acceptance → conclusion"),
    ("compression", "承诺时限压缩比 Promised-time compression", "rate",
     "(statutory − promised) / statutory"),
    ("immediate_share", "即办件占比 Immediate share", "rate", "cases of immediate matters / cases"),
    ("online_rate", "网办率 Online handling rate", "rate", "submitted online / cases"),
    ("in_person_per_case", "跑动次数 In-person visits per case", "number",
     "window submissions / cases (a lower bound)"),
    ("materials", "申请材料数 Materials per matter", "number", "catalog materials (mean)"),
    ("satisfaction", "满意率 Satisfaction", "rate", "ratings not bad / ratings"),
    ("follow_up_rate", "差评整改率 Bad-rating follow-up rate", "rate",
     "bad ratings followed up / bad ratings"),
)  # fmt: skip

# A matter's row is named by its code and its name.
MATTER_KEY = (
    Column("key", "事项 Matter", "text"),
    Column("name", "名称 Name", "text"),
)
# How settled work kept its time limits: the same figures by matter and by department.
TIMELINESS_COLUMNS = (
    Column("on_time_rate", "按时率 On time", "rate"),
    Column("early_rate", "提前率 Early", "rate"),
    Column("overdue", "逾期 Overdue", "count"),
    Column("overdue_rate", "逾期率 Overdue rate", "rate"),
    Column("breached", "超法定 Breached", "count"),
    Column("avg_working_days", "平均工作日 Avg days", "days"),
)
# By matter, in two tables so each fits the page: against the limits, and the service.
MATTER_COLUMNS = (
    *MATTER_KEY,
    Column("cases", "办件量 Cases", "count"),
    Column("concluded", "办结 Concluded", "count"),
    *TIMELINESS_COLUMNS,
    Column("promised_days", "承诺时限 Promised", "count"),
)
MATTER_SERVICE_COLUMNS = (
    *MATTER_KEY,
    Column("compression", "压缩比 Compression", "rate"),
    Column("immediate_share", "即办占比 Immediate", "rate"),
    Column("online_rate", "网办率 Online", "rate"),
    Column("in_person_per_case", "跑动/件 Visits/case", "number"),
    Column("materials", "材料数 Materials", "number"),
    Column("satisfaction", "满意率 Satisfaction", "rate"),
    Column("follow_up_rate", "差评整改率 Follow-up", "rate"),
)
DEPARTMENT_COLUMNS = (
    Column("key", "部门 Department", "text"),
    Column("name", "名称 Name", "text"),
    Column("cases", "任务 Tasks", "count"),
    Column("concluded", "已决定 Decided", "count"),
    *TIMELINESS_COLUMNS,
    Column("compression", "压缩比 Compression", "rate"),
)
WARNING_COLUMNS = (
    *MATTER_KEY,
    Column("yellow", "黄灯 Yellow", "count"),
    Column("red", "红灯 Red", "count"),
    Column("breach", "超法定 Breached", "count"),
    Column("provisional", "其中暂定时限 Of which provisional", "count"),
)


@dataclass(frozen=True)
class SupervisionRow:
    key: str  # the owner department ("center": none; "ALL": the total)
    open: int = 0
    overdue: int = 0
    escalated: int = 0


SUPERVISION_COLUMNS = (
    Column("key", "责任部门 Owner", "text"),
    Column("open", "未办结 Open", "count"),
    Column("overdue", "已逾期 Overdue", "count"),
    Column("escalated", "已升级 Escalated", "count"),
)


def supervision_table(rows: list[SupervisionRow]) -> Table:
    """Open supervision items (督办) now, by owner department."""
    total = SupervisionRow("ALL", **totals(rows, ("open", "overdue", "escalated")))
    chart = Chart("督办事项 Open supervision items", "key", ("open", "overdue"))
    return Table.of(
        "supervision", "督办 Supervision now", SUPERVISION_COLUMNS, [*rows, total], chart
    )


def totals(rows: Iterable[object], keys: Iterable[str]) -> dict[str, int]:
    """The sum of each of `keys` over `rows`: a table's total row."""
    listed = list(rows)
    return {k: sum(getattr(r, k) for r in listed) for k in keys}


def overview_table(row: SlaRow | None) -> Table:
    """One line per figure of the whole center (or the one department/matter chosen)."""
    columns = (
        Column("figure", "指标 Figure", "text", shown=False),
        Column("label", "指标 Figure", "text"),
        Column("value", "数值 Value", "number"),
        Column("definition", "口径 Definition", "text"),
    )
    rows = tuple(
        (key, label, getattr(row, key) if row else None, definition)
        for key, label, _, definition in OVERVIEW
    )
    chart = Chart("比率 Rates", "label", ("value",))
    return Table("overview", "总览 Overview", columns, rows, chart)


def overview_units() -> dict[str, Unit]:
    return {key: unit for key, _, unit, _ in OVERVIEW}


def matter_table(report: SlaReport) -> Table:
    chart = Chart("按事项平均办理工作日 Avg working days by matter", "name", ("avg_working_days",))
    title = "按事项：时限 By matter: time limits"
    return Table.of("matters", title, MATTER_COLUMNS, report.matters, chart)


def matter_service_table(report: SlaReport) -> Table:
    chart = Chart(
        "按事项网办率与满意率 Online rate and satisfaction by matter",
        "name",
        ("online_rate", "satisfaction"),
    )
    title = "按事项：服务 By matter: service"
    return Table.of("matter_service", title, MATTER_SERVICE_COLUMNS, report.matters, chart)


def department_table(report: SlaReport) -> Table:
    chart = Chart(
        "按部门平均办理工作日 Avg working days by department", "name", ("avg_working_days",)
    )
    title = "按部门 By department"
    return Table.of("departments", title, DEPARTMENT_COLUMNS, report.departments, chart)


def warning_rows(
    counts: Iterable[tuple[str, str, int, int]], names: dict[str, str]
) -> list[WarningRow]:
    """(matter, level, n, provisional of them) as one row per matter with a running case at
    yellow or worse."""
    by: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys((*LEVELS, "provisional"), 0))
    for matter, level, n, provisional in counts:
        if level in LEVELS:
            by[matter][level] += n
            by[matter]["provisional"] += provisional
    return [WarningRow(m, names.get(m, m), **by[m]) for m in sorted(by)]


def warning_table(rows: list[WarningRow]) -> Table:
    total = WarningRow("ALL", "全部 All", **totals(rows, (*LEVELS, "provisional")))
    chart = Chart("当前预警 Running cases now: yellow, red, breached", "name", LEVELS)
    return Table.of("warnings", "当前预警 Warnings now", WARNING_COLUMNS, [*rows, total], chart)


def dashboard_tables(
    report: SlaReport,
    warnings: list[WarningRow],
    supervision: list[SupervisionRow] | None = None,
    trend: Table | None = None,
) -> list[Table]:
    """Overview, the weekly trend, by matter (limits, service), by department, warnings now,
    supervision now. Scoped to one department the report has that department's row only: the
    overview is that row and there are no matter tables."""
    head = report.total if report.department is None else next(iter(report.departments), None)
    tables = [overview_table(head)]
    if trend is not None:
        tables.append(trend)
    if report.department is None:
        tables += [matter_table(report), matter_service_table(report)]
    tables += [department_table(report), warning_table(warnings)]
    if supervision is not None:
        tables.append(supervision_table(supervision))
    return tables


def chart_data(table: Table) -> tuple[list[str], list[tuple[str, list[float | None]]]]:
    """The bars of a table's chart: a label per group, (series label, values) per series.
    The overview charts its rates only (counts and days have other scales)."""
    rows = list(table.rows)
    if table.name == "overview":
        units = overview_units()
        rows = [r for r in rows if units[str(r[0])] == "rate"]
    keys = [c.key for c in table.columns]
    labels = [str(r[keys.index(table.chart.label)]) for r in rows]
    series = []
    for key in table.chart.series:
        label = next(c.label for c in table.columns if c.key == key)
        values = [r[keys.index(key)] for r in rows]
        series.append((label, [float(v) if isinstance(v, int | float) else None for v in values]))
    return labels, series


def to_csv(table: Table) -> str:
    """The table as CSV (header of column keys; rates as fractions to 4 places, empty for
    none), UTF-8 text a spreadsheet opens; no cell is a formula (domain/spreadsheet.py)."""
    rows = (
        ["" if v is None else round(v, 4) if isinstance(v, float) else v for v in row]
        for row in table.rows
    )
    return csv_text([c.key for c in table.columns], rows)


def display(value: Value, unit: Unit) -> str:
    """A value as the page shows it: rates in %, days and means to 1 place, — for none."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if unit == "rate":
        return f"{value * 100:.1f}%"
    if unit in ("days", "number") and isinstance(value, float):
        return f"{value:.1f}" if unit == "days" else f"{value:.2f}"
    return str(value)


def shown_columns(table: Table) -> list[Column]:
    """The columns the page shows (a code named in words elsewhere on the row stays out)."""
    return [c for c in table.columns if c.shown]


def shown(table: Table) -> list[list[str]]:
    """Every shown cell as the page shows it; the overview's value column takes each
    figure's unit."""
    units = overview_units()
    return [
        [
            display(
                v, units[str(row[0])] if table.name == "overview" and c.key == "value" else c.unit
            )
            for c, v in zip(table.columns, row, strict=True)
            if c.shown
        ]
        for row in table.rows
    ]
