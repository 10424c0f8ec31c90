"""Working hours for stalled detection: office hours on working days only."""

from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from domain.calendar import WorkingCalendar
from domain.calendar_source import load_builtin
from domain.case_clocks import CHINA
from domain.worktime import WorkingHours, working_cutoff, working_hours_between

CAL = WorkingCalendar(load_builtin())


def at(y: int, m: int, d: int, h: int, mi: int = 0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=CHINA)


def test_within_one_day() -> None:
    assert working_cutoff(CAL, at(2026, 11, 26, 15), 4) == at(2026, 11, 26, 11)


def test_evening_counts_from_office_close() -> None:
    assert working_cutoff(CAL, at(2026, 11, 26, 22), 2) == at(2026, 11, 26, 15)


def test_monday_morning_reaches_back_over_the_weekend() -> None:
    # Mon 2026-11-30 10:00, 16 working hours: 1 h Monday, 8 h Friday, 7 h Thursday.
    assert working_cutoff(CAL, at(2026, 11, 30, 10), 16) == at(2026, 11, 26, 10)


def test_national_day_is_skipped() -> None:
    # Thu 2026-10-08 is the first working day after the holiday (Oct 1-7).
    cutoff = working_cutoff(CAL, at(2026, 10, 8, 11), 4)
    assert cutoff.date().isoformat() == "2026-09-30"
    assert cutoff.time() == time(15, 0)


def test_hours_between_inverts_cutoff() -> None:
    now = at(2026, 11, 30, 10)
    since = working_cutoff(CAL, now, 16)
    assert working_hours_between(CAL, since, now) == 16


def test_custom_office_hours() -> None:
    office = WorkingHours(time(8, 30), time(17, 30))
    assert working_cutoff(CAL, at(2026, 11, 26, 9, 30), 2, office) == at(2026, 11, 25, 16, 30)


def day_by_day(since: datetime, now: datetime, office: WorkingHours) -> float:
    """Reference: walk every day, add the office time inside [since, now] on working days."""
    total, day = timedelta(0), since.astimezone(CHINA).date()
    while day <= now.astimezone(CHINA).date():
        if CAL.is_working_day(day):
            start, end = office.window(day)
            total += max(min(end, now) - max(start, since), timedelta(0))
        day += timedelta(days=1)
    return total / timedelta(hours=1)


def test_hours_between_matches_a_day_by_day_walk() -> None:
    rng = random.Random(7)
    origin = at(2024, 12, 20, 0)
    offices = [WorkingHours(), WorkingHours(time(8, 30), time(17, 30))]
    for _ in range(2000):
        since = origin + timedelta(minutes=rng.randrange(0, 60 * 24 * 800))
        now = since + timedelta(minutes=rng.randrange(-600, 60 * 24 * rng.choice([1, 3, 40, 400])))
        office = rng.choice(offices)
        assert working_hours_between(CAL, since, now, office) == day_by_day(since, now, office)
