"""Exhaustive check of the calculator against ``chinese_calendar.is_workday`` itself.

For every acceptance day 2024-01-01 .. 2026-12-31, every N in {1, 5, 10, 20, 45} and both start
settings (counting from the 1st / 2nd working day), the due day from ``WorkingCalendar`` must
equal an independent day-by-day walk that asks the package directly. Days the package has no
data for (2027) fall back to Mon–Fri in the reference, and the result must then be provisional.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache

import chinese_calendar
import pytest

from domain.calendar import WorkingCalendar
from domain.calendar_source import load_builtin

FIRST, LAST = date(2024, 1, 1), date(2026, 12, 31)
LIMITS = (1, 5, 10, 20, 45)
START_OFFSETS = (1, 2)
ONE_DAY = timedelta(days=1)

Case = tuple[date, int, int, date, bool]  # start, n, start_offset, expected due, provisional


@cache
def reference_day(d: date) -> tuple[bool, bool]:
    """(is working day, package knows the year), straight from the package."""
    try:
        return chinese_calendar.is_workday(d), True
    except NotImplementedError:
        return d.weekday() < 5, False


def reference_due(start: date, n: int, start_offset: int) -> tuple[date, bool]:
    """Walk day by day: the first working day after start is counted only from start_offset."""
    to_skip, to_count, day, known = start_offset - 1, n, start, True
    while to_count:
        day += ONE_DAY
        working, year_known = reference_day(day)
        known &= year_known
        if working and to_skip:
            to_skip -= 1
        elif working:
            to_count -= 1
    return day, not known


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    """Precomputed once: the reference is the slow side of the comparison."""
    result = []
    day = FIRST
    while day <= LAST:
        for n in LIMITS:
            for offset in START_OFFSETS:
                result.append((day, n, offset, *reference_due(day, n, offset)))
        day += ONE_DAY
    return result


def test_every_acceptance_day_matches_the_package(cases: list[Case]) -> None:
    cal = WorkingCalendar(load_builtin())
    mismatches = [
        (start, n, offset, expected, provisional, got)
        for start, n, offset, expected, provisional in cases
        if (got := cal.add_working_days_checked(start, n, start_offset=offset))
        != (expected, provisional)
    ]
    days = (LAST - FIRST).days + 1
    assert len(cases) == days * len(LIMITS) * len(START_OFFSETS) == 10_960
    print(
        f"\nreference comparisons: {len(cases)} ({days} days x {LIMITS} x offsets {START_OFFSETS})"
    )
    assert mismatches == []
    # The 2027 spill really was exercised, so the provisional path is covered too.
    assert sum(provisional for *_, provisional in cases) > 0


def test_worked_example_agrees_with_the_reference() -> None:
    cal = WorkingCalendar(load_builtin())
    assert reference_due(date(2026, 9, 29), 20, 1) == (date(2026, 11, 2), False)
    assert cal.add_working_days(date(2026, 9, 29), 20) == date(2026, 11, 2)
