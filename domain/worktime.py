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
    """Working hours in [since, now] (0 when `since` is later), for showing how long idle."""
    office = office or WorkingHours()
    a, b = since.astimezone(CHINA), now.astimezone(CHINA)
    total = timedelta(0)
    day = a.date()
    for _ in range(_MAX_DAYS_BACK):
        if day > b.date():
            break
        if cal.is_working_day(day):
            start, end = office.window(day)
            lo, hi = max(start, a), min(end, b)
            total += max(hi - lo, timedelta(0))
        day += timedelta(days=1)
    return total.total_seconds() / 3600
