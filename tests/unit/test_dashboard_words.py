"""The dashboard's words come from the message catalog: every table's title, chart title,
shown column and figure, the overview's definitions and the report's notes have their Chinese
and English there, and the rows name departments and the total instead of their codes."""

from __future__ import annotations

import re
from datetime import date

from domain.dashboard import (
    SupervisionRow,
    Table,
    chart_data,
    dashboard_tables,
    shown,
    shown_columns,
)
from domain.dashboard_trend import trend_table, weeks
from domain.library_figures import library_rows, library_table
from domain.report_model import NOT_MEASURED
from entrypoints.web.dashboard_words import has_words, in_words, note
from tests.unit.test_dashboard import _report

CJK = re.compile(r"[\u4e00-\u9fff]")


def _tables() -> list[Table]:
    report = _report(6, 3)
    supervision = [SupervisionRow("fire", 2, 1, 0), SupervisionRow("center", 1, 0, 0)]
    trend = trend_table(weeks(date(2026, 11, 2), date(2026, 11, 30), []))
    tables = dashboard_tables(report, [], supervision, trend)  # type: ignore[arg-type]
    return [*tables, library_table(library_rows({}, {}, {}))]


def test_every_title_column_and_figure_is_in_the_catalog() -> None:
    for table in _tables():
        english = [table.title, table.chart.title, *(c.label for c in table.columns)]
        if table.name == "overview":
            english += [str(r[1]) for r in table.rows]
        for text in english:
            assert has_words("dashboard", text.split(" ", 1)[-1]), (table.name, text)
        worded = in_words(table)
        for text in [worded.title, worded.chart.title, *(c.label for c in shown_columns(worded))]:
            assert CJK.search(text) and re.search("[A-Za-z]", text), (table.name, text)


def test_definitions_and_notes_in_both_languages() -> None:
    overview = in_words(_tables()[0])
    for definition in (str(r[3]) for r in overview.rows):
        assert CJK.search(definition) and re.search("[a-z]", definition), definition
    assert all(CJK.search(note(n)) for n in NOT_MEASURED)


def test_rows_name_departments_and_the_total() -> None:
    """The supervision table's owners are departments in words (the chart too), the total is
    全部 All; a code column beside a name is not shown (the CSV keeps it)."""
    supervision = in_words(next(t for t in _tables() if t.name == "supervision"))
    labels, _ = chart_data(supervision)
    assert labels == ["消防救援支队 Fire & Rescue", "中心 The center", "全部 All"]
    assert [row[0] for row in shown(supervision)] == labels
    matters = in_words(next(t for t in _tables() if t.name == "matters"))
    assert "key" not in [c.key for c in shown_columns(matters)]
    assert "key" in [c.key for c in matters.columns]
