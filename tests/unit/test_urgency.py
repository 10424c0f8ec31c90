"""A task's urgency: working days left (holidays skipped) and its warning colour."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from domain.calendar import WorkingCalendar
from domain.calendar_source import load_builtin
from domain.urgency import task_urgency

CAL = WorkingCalendar(load_builtin(range(2025, 2027)))


def urgency(today: date, due: date | None, case_level: str = "none") -> tuple[str, int | None]:
    u = task_urgency(today, due, case_level, CAL, yellow_days=1, due_soon_days=2)
    return u.level, u.working_days_left


def test_days_left_are_working_days_across_national_day() -> None:
    # Sep 30 (Wed) to Oct 8 (Thu): Oct 1–7 are holidays, so one working day is left.
    assert urgency(date(2026, 9, 30), date(2026, 10, 8)) == ("yellow", 1)
    assert urgency(date(2026, 9, 30), date(2026, 10, 9)) == ("none", 2)
    assert urgency(date(2026, 9, 21), date(2026, 10, 9)) == ("none", 8)


@pytest.mark.parametrize(
    ("today", "due", "case_level", "expected"),
    [
        (date(2026, 11, 2), date(2026, 11, 20), "none", ("none", 14)),
        (date(2026, 11, 19), date(2026, 11, 20), "none", ("yellow", 1)),
        (date(2026, 11, 20), date(2026, 11, 20), "none", ("yellow", 0)),
        (date(2026, 11, 23), date(2026, 11, 20), "none", ("red", -1)),
        (date(2026, 11, 2), date(2026, 11, 20), "breach", ("breach", 14)),
        (date(2026, 11, 2), None, "yellow", ("yellow", None)),
        (date(2026, 11, 2), None, "none", ("none", None)),
    ],
)
def test_levels(today: date, due: date | None, case_level: str, expected: tuple[str, Any]) -> None:
    assert urgency(today, due, case_level) == expected


def test_due_soon_and_overdue_flags() -> None:
    soon = task_urgency(date(2026, 11, 18), date(2026, 11, 20), None, CAL, due_soon_days=2)
    assert soon.due_soon and not soon.overdue
    late = task_urgency(date(2026, 11, 23), date(2026, 11, 20), None, CAL)
    assert late.overdue and not late.due_soon
