"""An open task whose due date falls in a year without the official schedule says so (issue 16,
item 5): its deadline was counted on weekdays only."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

from infra.calendars import CalendarProvider
from infra.settings import Settings
from services.departments.inbox import with_urgency


def _row(due: date, status: str = "open") -> dict[str, Any]:
    return {"status": status, "due_date": due, "case_warning_level": "none"}


def test_a_due_date_in_an_unknown_year_is_provisional() -> None:
    deps: Any = SimpleNamespace(settings=Settings(), calendar=CalendarProvider(None))
    today = date(2026, 12, 1)
    assert 2026 in deps.calendar().years and 2027 not in deps.calendar().years
    assert with_urgency(deps, _row(date(2027, 1, 20)), today)["provisional"] is True
    assert with_urgency(deps, _row(date(2026, 12, 20)), today)["provisional"] is False
    assert with_urgency(deps, _row(date(2027, 1, 20), "decided"), today)["provisional"] is False
