"""How urgent an open review task is: working days left to its due date and its warning colour.

Pure: the caller passes today (Asia/Shanghai) and the working calendar. The task's own due date
(the department's sub-deadline) gives yellow/red; the case's warning, raised by its clocks
(promised and statutory limits), is carried over when it is more severe — a department cannot
be "on time" on a case that has breached its statutory limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from domain.calendar import WorkingCalendar

Level = Literal["none", "yellow", "red", "breach"]
ORDER: tuple[Level, ...] = ("none", "yellow", "red", "breach")


@dataclass(frozen=True)
class Urgency:
    level: Level
    working_days_left: int | None  # None: no due date yet; negative: overdue by that many
    due_soon: bool
    overdue: bool


def _own_level(today: date, due: date | None, left: int | None, yellow_days: int) -> Level:
    if due is None or left is None:
        return "none"
    if today > due:
        return "red"
    return "yellow" if left <= yellow_days else "none"


def _as_level(value: str | None) -> Level:
    for level in ORDER:
        if value == level:
            return level
    return "none"


def task_urgency(
    today: date,
    due: date | None,
    case_level: str | None,
    cal: WorkingCalendar,
    *,
    yellow_days: int = 1,
    due_soon_days: int = 2,
) -> Urgency:
    """Urgency of an open task due on `due` (None: no due date yet).

    Args:
        today: The local date (Asia/Shanghai).
        due: The task's due date: the end of that working day.
        case_level: The case's warning as its clocks last reported it.
        cal: The working calendar.
        yellow_days: Working days before the due date the task turns yellow.
        due_soon_days: Working days before the due date the task counts as "due soon".
    """
    left = cal.working_days_between(today, due) if due is not None else None
    own = _own_level(today, due, left, yellow_days)
    level = max(own, _as_level(case_level), key=ORDER.index)
    overdue = level in ("red", "breach")
    due_soon = not overdue and (level == "yellow" or (left is not None and left <= due_soon_days))
    return Urgency(level=level, working_days_left=left, due_soon=due_soon, overdue=overdue)
