"""Working hours: "no activity for longer than N working hours" for stalled-case detection.

Pure: a working day comes from the working-day calendar, working hours from the center's
setting (default 09:00–17:00 Asia/Shanghai). Weekend evenings and holidays never count, so a
task assigned on Friday afternoon is not stalled on Monday morning.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from domain.calendar import WorkingCalendar
from domain.case_clocks import CHINA

_HOUR = timedelta(hours=1)
_MAX_DAYS_BACK = 800  # beyond two years of holidays the answer is "long ago" anyway


@dataclass(frozen=True)
class WorkingHours:
    """The center's office hours on a working day, local time (Asia/Shanghai)."""

    start: time = time(9, 0)
    end: time = time(17, 0)

    def window(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.start, tzinfo=CHINA),
            datetime.combine(day, self.end, tzinfo=CHINA),
        )


def working_cutoff(
    cal: WorkingCalendar, now: datetime, hours: float, office: WorkingHours | None = None
) -> datetime:
    """The instant `hours` working hours before `now`: older activity means stalled.

    Args:
        cal: The working-day calendar.
        now: An aware instant.
        hours: Working hours to go back, >= 0.
        office: Office hours; 09:00–17:00 by default.

    Returns:
        An aware instant (Asia/Shanghai) at or before `now`.
    """
    office = office or WorkingHours()
    remaining = timedelta(hours=hours)
    local = now.astimezone(CHINA)
    day = local.date()
    for _ in range(_MAX_DAYS_BACK):
        if cal.is_working_day(day):
            start, end = office.window(day)
            upto = min(local, end)
            available = max(upto - start, timedelta(0))
            if remaining <= available:
                return upto - remaining
            remaining -= available
        day -= timedelta(days=1)
        local = datetime.combine(day, time.max, tzinfo=CHINA)
    return local


def working_hours_between(
    cal: WorkingCalendar, since: datetime, now: datetime, office: WorkingHours | None = None
) -> float:
    """Working hours in [since, now] (0 when `since` is later), for showing how long idle.

    O(1) whatever the span: the two end days are counted by the clock, the whole working days
    between them by the calendar's index (the stalled list asks this for every idle task).
    """
    office = office or WorkingHours()
    a, b = since.astimezone(CHINA), now.astimezone(CHINA)
    if a >= b:
        return 0.0
    first, last = a.date(), b.date()
    if first == last:
        return _on(cal, office, first, a, b) / _HOUR
    whole_days = cal.working_days_between(first, last - timedelta(days=1))
    first_open, first_close = office.window(first)
    total = (
        _on(cal, office, first, a, first_close)
        + whole_days * (first_close - first_open)
        + _on(cal, office, last, office.window(last)[0], b)
    )
    return total / _HOUR


def _on(
    cal: WorkingCalendar, office: WorkingHours, day: date, lo: datetime, hi: datetime
) -> timedelta:
    """Office time within [lo, hi] on `day` (nothing on a day off)."""
    if not cal.is_working_day(day):
        return timedelta(0)
    start, end = office.window(day)
    return max(min(hi, end) - max(lo, start), timedelta(0))
