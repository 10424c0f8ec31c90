"""Where a joint case stands against its statutory limit, for the government head's page."""

from __future__ import annotations

from datetime import date

from domain.calendar import WorkingCalendar
from domain.calendar_source import load_builtin
from domain.extension_queue import near_until, standing

CAL = WorkingCalendar(load_builtin(range(2025, 2027)))


def test_left_and_used_are_working_days_holidays_skipped() -> None:
    # Sep 30 (Wed) to Oct 9 (Fri): Oct 1–7 are holidays, Oct 8 and 9 count.
    s = standing(CAL, date(2026, 9, 30), date(2026, 10, 9), 45, 0)
    assert (s.limit, s.left, s.used) == (45, 2, 43)


def test_the_extension_adds_to_the_limit_and_a_passed_date_is_negative() -> None:
    # Due Fri Oct 9; on Mon Oct 12 two working days have passed (Sat Oct 10 is a make-up day).
    s = standing(CAL, date(2026, 10, 12), date(2026, 10, 9), 45, 15)
    assert (s.limit, s.left, s.used) == (60, -2, 62)


def test_no_due_date_yet() -> None:
    s = standing(CAL, date(2026, 10, 12), None, 45, 0)
    assert (s.limit, s.left, s.used) == (45, None, None)


def test_near_is_at_most_n_working_days_left() -> None:
    today = date(2026, 9, 30)
    last = near_until(CAL, today, 2)
    assert last == date(2026, 10, 9)  # Oct 8 and 9: two working days; Oct 10 (Sat) works
    assert standing(CAL, today, last, 45, 0).left == 2
    after = date(2026, 10, 10)  # the make-up Saturday is the third working day
    assert standing(CAL, today, after, 45, 0).left == 3
    assert near_until(CAL, today, 0) == date(2026, 10, 7)  # nothing but today
