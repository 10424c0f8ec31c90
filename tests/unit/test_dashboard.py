"""The dashboard's tables, CSV and charts, and the public statistics' suppression, pure."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from domain.dashboard import (
    chart_data,
    dashboard_tables,
    display,
    shown,
    to_csv,
    warning_rows,
)
from domain.dashboard_trend import Week, trend_span, trend_table, weeks
from domain.public_stats import MIN_CASES, last_month, public_stats
from domain.report_model import Counts, SlaInput
from domain.reports import build_sla_report
from infra.charts.page_svg import bar_chart, trend_chart
from tests.unit.test_reports import CAL, CATALOG

TODAY = date(2026, 12, 3)
NOV = (date(2026, 11, 1), date(2026, 11, 30))


def _report(concluded: int, on_time: int, code: str = "M1") -> object:
    counts = Counts(
        code,
        code,
        cases=concluded,
        accepted=concluded,
        concluded=concluded,
        on_time=on_time,
        overdue=concluded - on_time,
        days=3 * concluded,
        timed=concluded,
    )
    return build_sla_report(
        CATALOG, SlaInput(case_counts=(counts,)), CAL, as_of=TODAY, start=NOV[0], end=NOV[1]
    )


def test_last_month() -> None:
    assert last_month(TODAY) == NOV
    assert last_month(date(2027, 1, 1)) == (date(2026, 12, 1), date(2026, 12, 31))


@pytest.mark.parametrize("n", [1, MIN_CASES - 1])
def test_fewer_than_five_cases_publish_only_the_limits(n: int) -> None:
    stats = public_stats(CATALOG, _report(n, n))  # type: ignore[arg-type]
    fire = next(m for m in stats.matters if m.code == "M1")
    assert fire.suppressed and (fire.handled, fire.on_time_share, fire.avg_working_days) == (
        None,
        None,
        None,
    )
    assert fire.promised_days > 0 and fire.statutory_days >= fire.promised_days


def test_five_cases_are_published() -> None:
    stats = public_stats(CATALOG, _report(MIN_CASES, 4))  # type: ignore[arg-type]
    fire = next(m for m in stats.matters if m.code == "M1")
    assert not fire.suppressed
    assert (fire.handled, fire.on_time_share, fire.avg_working_days) == (5, 0.8, 3.0)
    # Every matter of the catalog is listed, with its limits, handled or not.
    assert {m.code for m in stats.matters} == {m.code for m in CATALOG.matters}
    assert all(m.handled is None for m in stats.matters if m.code != "M1")


def test_csv_is_the_table() -> None:
    report = _report(6, 3)
    tables = dashboard_tables(report, warning_rows([("M1", "red", 2, 1)], {}))  # type: ignore[arg-type]
    matters = next(t for t in tables if t.name == "matters")
    rows = list(csv.reader(io.StringIO(to_csv(matters))))
    assert rows[0] == [c.key for c in matters.columns]
    fire = next(r for r in rows if r[0] == "M1")
    assert fire[2] == "6" and fire[4] == "0.5"  # cases, on-time rate as a fraction
    empty = next(r for r in rows if r[0] != "M1" and r[0] != "key")
    assert empty[4] == ""  # no settled case: no rate, not 0
    warnings = next(t for t in tables if t.name == "warnings")
    assert warnings.rows[-1] == ("ALL", "全部 All", 0, 2, 0, 1)  # the last: provisional


def test_overview_charts_its_rates_only() -> None:
    tables = dashboard_tables(_report(6, 3), [])  # type: ignore[arg-type]
    labels, series = chart_data(tables[0])
    assert "按时办结率 On-time rate" in labels and "办件量 Case volume" not in labels
    assert all(v is None or 0 <= v <= 1 for v in series[0][1])


def test_display() -> None:
    assert display(0.5, "rate") == "50.0%" and display(None, "rate") == "—"
    assert display(7.666, "days") == "7.7" and display(3, "count") == "3"


def test_bar_chart_is_matplotlib_svg_with_its_words_as_text() -> None:
    labels = ("<script>x</script>", "承诺时限压缩比 Promised-time compression")
    svg = bar_chart("chart-t", "t<1>", labels, (("s", (0.25, None)),), rate=True)
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg"') and "<script>" not in svg
    assert "&lt;script&gt;x&lt;/script&gt;" in svg and "<title" in svg and "t&lt;1&gt;" in svg
    # Text stays text (not glyph outlines), every label whole; a missing value shows "—".
    assert "承诺时限压缩比 Promised-time compression" in svg and "25.0%" in svg and "—" in svg
    assert "<metadata>" not in svg and "<?xml" not in svg
    # Ids are the chart's own: two charts on one page do not share clip paths.
    ids = re.findall(r' id="([^"]+)"', svg)
    assert ids and all(i.startswith("chart-t") for i in ids)
    assert all(ref.startswith("chart-t-") for ref in re.findall(r"url\(#([^)]+)\)", svg))


def test_trend_weeks_and_table() -> None:
    first, last = trend_span(date(2025, 3, 5), date(2025, 3, 31), TODAY)
    assert (first, last) == (date(2025, 3, 3), date(2025, 3, 31))
    assert trend_span(None, None, TODAY) == (date(2026, 9, 14), date(2026, 11, 30))
    assert trend_span(date(2020, 1, 1), None, TODAY)[0] == date(2024, 12, 9)  # 104 weeks
    rows = weeks(first, last, [Week(date(2025, 3, 10), cases=4, on_time=3, overdue=1)])
    assert [w.monday.day for w in rows] == [3, 10, 17, 24, 31]
    table = trend_table(rows)
    assert shown(table)[1] == ["2025-03-10", "4", "4", "75.0%"]
    assert shown(table)[0] == ["2025-03-03", "0", "0", "—"]
    svg = trend_chart(
        "chart-trend", "趋势", ("03-03", "03-10"), (0, 4), (None, 0.75), ("办件量", "按时率")
    )
    assert "办件量" in svg and "按时率" in svg and "chart-trend-title" in svg


def test_overview_names_each_figure_in_words() -> None:
    overview = dashboard_tables(_report(6, 3), [])[0]  # type: ignore[arg-type]
    assert "on_time_rate" in overview.column("figure")  # the CSV keeps the key
    assert not any("on_time_rate" in cell for row in shown(overview) for cell in row)
    assert shown(overview)[2][:2] == ["按时办结率 On-time rate", "50.0%"]
