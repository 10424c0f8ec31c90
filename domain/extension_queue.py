"""Where a joint case stands against its statutory limit, for the government head who may
extend it once (ALL Art. 42 ¶2: +15 working days). Pure: the caller passes today and the
working calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from domain.calendar import WorkingCalendar


@dataclass(frozen=True)
class Standing:
    limit: int  # working days: the matter's statutory limit plus any extension
    left: int | None  # working days in (today, due]; negative: past it. None: no due date
    used: int | None  # limit − left: working days counted so far (pauses are not counted)


def standing(
    cal: WorkingCalendar, today: date, due: date | None, statutory_days: int, extension_days: int
) -> Standing:
    """The statutory clock of a case due on `due` (the end of that working day).

    Working days inside pauses push the due date later, so "used" is the limit less what is
    left, not the working days since acceptance.
    """
    limit = statutory_days + extension_days
    if due is None:
        return Standing(limit, None, None)
    left = cal.working_days_between(today, due)
    return Standing(limit, left, limit - left)


def near_until(cal: WorkingCalendar, today: date, near_days: int) -> date:
    """The last statutory due date that is "near": at most `near_days` working days left."""
    return cal.add_working_days(today, near_days + 1) - timedelta(days=1)
