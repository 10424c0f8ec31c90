"""The efficiency report's arithmetic on hand-made counts, with every figure worked out by hand.

Two matters: M1 (promised, 20/10 working days, departments a and b, 3 materials) and M2
(immediate, 5/1, department a, 1 material). M1's working days come as (start, end) pairs (the
SQLite path), M2's as sums SQL made (the PostgreSQL path).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.calendar import WorkingCalendar
from domain.calendar_source import load_builtin
from domain.catalog import parse_catalog
from domain.report_model import (
    CorrectionCounts,
    Counts,
    RatingCounts,
    SlaInput,
    SlaReport,
    SlaRow,
    Span,
)
from domain.reports import average_days, build_sla_report, compression, working_day_ranks

CAL = WorkingCalendar(load_builtin())
TODAY = date(2026, 11, 20)
CATALOG = parse_catalog(
    """
departments: {a: 甲局 Dept A, b: 乙局 Dept B}
matters:
  - code: M1
    name: 事项一 Matter one
    statutory_days: 20
    promised_days: 10
    departments: [{code: a, name: 甲局}, {code: b, name: 乙局}]
    materials: [{code: x, name: x}, {code: y, name: y}, {code: z, name: z}]
  - code: M2
    name: 即办 Instant
    kind: immediate
    statutory_days: 5
    promised_days: 1
    departments: [{code: a, name: 甲局}]
    materials: [{code: x, name: x}]
"""
)
M1 = Counts(
    "M1", "M1", cases=10, accepted=9, not_accepted=1, concluded=6, open=3,
    on_time=5, early=3, overdue=2, breached=1, online=7,
)  # fmt: skip
M2 = Counts("M2", "M2", cases=4, accepted=4, concluded=4, on_time=4, days=0, timed=4)
M1_SPANS = (
    Span("M1", date(2026, 11, 2), date(2026, 11, 4), 2),  # Mon → Wed: 2 each
    Span("M1", date(2026, 9, 29), date(2026, 10, 9), 1),  # 9-30, 10-8, 10-9 (National Day): 3
    Span("M1", date(2026, 11, 2), date(2026, 11, 16), 3, paused=5),  # 10 each, less 5: 25
)
TASKS = (
    Counts("a", "M1", cases=9, accepted=9, concluded=6, open=3, on_time=5, early=2, overdue=1),
    Counts("a", "M2", cases=4, accepted=4, concluded=4, on_time=4, days=4, timed=4),
)
ASKED = (
    CorrectionCounts("M1", "a", 3),  # department a, during review
    CorrectionCounts("M1", None, 2),  # the window, at pre-review
    CorrectionCounts("M2", "a", 1),
)
TASK_SPANS = (Span("a", date(2026, 11, 2), date(2026, 11, 6), 6),)  # 4 each: 24
DATA = SlaInput(
    case_counts=(M1, M2),
    case_spans=M1_SPANS,
    task_counts=TASKS,
    task_spans=TASK_SPANS,
    ratings=(RatingCounts("M1", rated=4, bad=1, followed_up=1),),
    corrections=ASKED,
)


def report(**kw: Any) -> SlaReport:
    return build_sla_report(CATALOG, DATA, CAL, as_of=TODAY, **kw)


def row(rows: tuple[SlaRow, ...], key: str) -> SlaRow:
    return next(r for r in rows if r.key == key)


def test_matter_row_rates() -> None:
    m1 = row(report().matters, "M1")
    assert (m1.cases, m1.concluded, m1.on_time, m1.overdue, m1.settled) == (10, 6, 5, 2, 7)
    assert m1.on_time_rate == pytest.approx(5 / 7)
    assert m1.early_rate == pytest.approx(3 / 7)
    assert m1.overdue_rate == pytest.approx(2 / 7)
    assert m1.open_not_due == 2  # 3 open, 1 of them already past its promised date
    assert m1.online_rate == 0.7 and m1.immediate_share == 0
    assert m1.avg_working_days == pytest.approx((4 + 3 + 25) / 6)
    assert m1.compression == 0.5 and m1.materials == 3 and m1.promised_days == 10
    assert (m1.satisfaction, m1.follow_up_rate) == (0.75, 1.0)
    assert m1.name == "事项一 Matter one"


def test_immediate_matter_and_sql_sums() -> None:
    m2 = row(report().matters, "M2")
    assert m2.immediate == 4 and m2.immediate_share == 1.0
    assert m2.avg_working_days == 0.0 and m2.compression == pytest.approx(0.8)
    assert m2.rated == 0 and m2.satisfaction is None and m2.follow_up_rate is None


def test_total() -> None:
    total = report().total
    assert total is not None
    assert (total.cases, total.on_time, total.overdue, total.immediate) == (14, 9, 2, 4)
    assert total.on_time_rate == pytest.approx(9 / 11)
    assert total.immediate_share == pytest.approx(4 / 14)
    assert total.avg_working_days == pytest.approx((4 + 3 + 25 + 0) / (6 + 4))
    assert total.compression == pytest.approx((25 - 11) / 25)
    assert total.materials == 2.0 and (total.rated, total.bad_ratings) == (4, 1)


def test_department_rows() -> None:
    departments = report().departments
    a = row(departments, "a")
    assert (a.cases, a.concluded, a.on_time, a.early, a.overdue, a.immediate) == (
        13,
        10,
        9,
        2,
        1,
        4,
    )
    assert a.avg_working_days == pytest.approx((24 + 4) / 10)
    assert a.compression == pytest.approx((25 - 11) / 25)
    b = row(departments, "b")
    assert (b.cases, b.avg_working_days, b.on_time_rate) == (0, None, None)
    assert b.compression == 0.5


def test_one_department_sees_its_row_only() -> None:
    mine = report(department="b")
    assert [r.key for r in mine.departments] == ["b"]
    assert mine.matters == () and mine.total is None


def test_one_matter() -> None:
    only = report(matter="M2")
    assert [r.key for r in only.matters] == ["M2", "M1"]  # M1 is in the data given, listed last
    assert only.total is not None and only.total.compression == pytest.approx(0.8)
    assert [r.key for r in only.departments] == ["a"]


def test_a_matter_no_longer_in_the_catalog_is_still_reported() -> None:
    data = SlaInput(case_counts=(Counts("OLD", "OLD", cases=2),))
    old = row(build_sla_report(CATALOG, data, CAL, as_of=TODAY).matters, "OLD")
    assert (old.name, old.cases, old.compression, old.materials) == ("OLD", 2, None, None)


def test_no_cases_no_rates() -> None:
    empty = build_sla_report(CATALOG, SlaInput(), CAL, as_of=TODAY)
    assert empty.total is not None and empty.total.cases == 0
    assert empty.total.on_time_rate is None and empty.total.avg_working_days is None
    assert len(empty.not_measured) == 1 and "visits" in empty.not_measured[0]


def test_working_day_ranks_across_national_day() -> None:
    ranks = working_day_ranks(CAL, date(2026, 9, 28), date(2026, 10, 12))
    # 9-29 and 9-30 work; Oct 1–7 off; 10-8, 10-9 and Sat 10-10 (make-up) work; Sun off.
    assert ranks == (0, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 4, 5, 5, 6)


def test_average_days_clamps_pauses_and_combines_both_paths() -> None:
    spans = [Span("k", date(2026, 11, 2), date(2026, 11, 3), 1, paused=5)]
    assert average_days([Counts("k", "M1", days=6, timed=2)], spans, CAL) == {"k": 2.0}
    assert compression([]) is None


def test_corrections() -> None:
    r = report()
    m1, m2 = row(r.matters, "M1"), row(r.matters, "M2")
    assert (m1.corrections, m1.correction_notices) == (3, 2)
    assert m1.corrections_per_case == pytest.approx(3 / 9)  # per accepted case
    assert (m2.corrections, m2.correction_notices, m2.corrections_per_case) == (1, 0, 0.25)
    assert r.total is not None and (r.total.corrections, r.total.correction_notices) == (4, 2)
    a, b = row(r.departments, "a"), row(r.departments, "b")
    assert (a.corrections, a.correction_notices) == (4, 0)
    assert a.corrections_per_case == pytest.approx(4 / 13)  # per review task
    assert b.corrections == 0 and b.corrections_per_case is None
