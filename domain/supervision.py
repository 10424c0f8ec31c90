"""Supervision (督办): which warnings open an item, and when an item is due and overdue.

A statutory breach always opens one item per department still holding the case; a red
warning does too when the center asks for it (`LIANBAN_SUPERVISION_ON_RED`). An item is due a
number of working days after it opens; one still open after that escalates, and is due again
the same number of working days later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from domain.calendar import WorkingCalendar


class ItemStatus(StrEnum):
    open = "open"
    closed = "closed"


class ItemAction(StrEnum):
    assigned = "assigned"
    commented = "commented"
    closed = "closed"
    escalated = "escalated"


@dataclass(frozen=True)
class SupervisionPolicy:
    on_red: bool = False
    due_days: int = 3  # working days from opening (and from each escalation)

    def opens_item(self, level: str) -> bool:
        return level == "breach" or (level == "red" and self.on_red)

    def due(self, cal: WorkingCalendar, opened_on: date) -> date:
        return cal.add_working_days(opened_on, self.due_days)


def is_overdue(status: str, due_date: date | None, today: date) -> bool:
    return status == ItemStatus.open and due_date is not None and due_date < today
