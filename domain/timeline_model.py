"""A case timeline's data: steps measured against their limits, and markers. Built by
:mod:`domain.case_timeline`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from domain.calendar import WorkingCalendar

# applicant: time the applicant takes to correct what was asked (no limit of the center's).
StepKind = Literal["acceptance", "applicant", "review", "pause", "decision", "issuance"]
Status = Literal["early", "on_time", "overdue", "breach", "running", "no_limit", "cancelled"]


@dataclass(frozen=True)
class Step:
    """One step; ``end`` is None while it runs. ``margin_days``: working days from the end
    (or today) to the due day: positive to spare, negative over."""

    key: str
    label: str
    kind: StepKind
    start: date
    end: date | None
    due: date | None
    hard_due: date | None
    working_days: int
    margin_days: int | None
    status: Status
    paused_days: int = 0  # decision: working days in clock-stopping pauses, not counted


@dataclass(frozen=True)
class Marker:
    """Something that happened on a day: a warning, an extension granted."""

    kind: str  # warning | extension
    on: date
    label: str  # the warning's level (yellow, red, breach), or "ext. +15 wd"


@dataclass(frozen=True)
class Timeline:
    case_id: str
    matter_code: str
    status: str
    outcome: str | None
    as_of: date
    statutory_due: date | None
    promised_due: date | None
    steps: tuple[Step, ...]
    markers: tuple[Marker, ...]


def _status(end: date | None, due: date | None, hard: date | None, today: date) -> Status:
    if due is None:
        return "no_limit"
    last = end if end is not None else today
    if hard is not None and last > hard:
        return "breach"
    if last > due:
        return "overdue"
    if end is None:
        return "running"
    return "early" if end < due else "on_time"


def make_step(
    key: str,
    label: str,
    kind: StepKind,
    span: tuple[date, date | None],
    due: tuple[date | None, date | None],
    cal: WorkingCalendar,
    today: date,
    paused: int = 0,
) -> Step:
    """A step from its (start, end) and (due, hard due), measured in working days in
    (start, end]: the start day is day 0, as the law counts (``paused`` of them not counted)."""
    start, end = span
    last = end if end is not None else today
    margin = cal.working_days_between(last, due[0]) if due[0] is not None else None
    return Step(
        key=key,
        label=label,
        kind=kind,
        start=start,
        end=end,
        due=due[0],
        hard_due=due[1],
        working_days=max(0, cal.working_days_between(start, last) - paused),
        paused_days=paused,
        margin_days=margin,
        status=_status(end, due[0], due[1], today),
    )
