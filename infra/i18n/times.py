"""The one time formatter of the pages: every instant in the center's time zone, to the minute.

Stored instants are UTC; a person at the center reads Beijing time. Dates (due dates) are
already the center's dates and are shown as they are.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from domain.case_clocks import CHINA

FORMAT = "%Y-%m-%d %H:%M"


def local_minute(instant: datetime) -> str:
    """`2026-10-15 19:35` for 11:35:07.8 UTC; a naive instant is taken as UTC (as stored)."""
    aware = instant if instant.tzinfo else instant.replace(tzinfo=UTC)
    return aware.astimezone(CHINA).strftime(FORMAT)


def local_minute_or_dash(value: datetime | date | str | None) -> str:
    """For templates: an instant as `local_minute`, a date as ISO, an ISO string parsed
    first (API models carry them as text), nothing as "—"."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            # "2026-10-15" is a day (a due date), not midnight UTC.
            parsed = (
                date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
            )
        except ValueError:
            return value
        return local_minute_or_dash(parsed)
    if isinstance(value, datetime):
        return local_minute(value)
    return value.isoformat()
