"""A case's clocks — statutory, promised, department sub-deadlines, issuance — and when their
warnings fire. Pure: the workflow passes `workflow.now()`, reports pass any instant.

Times are China Standard Time (UTC+8, no daylight saving since 1991), so a fixed offset is
exact and needs no time-zone database inside the workflow sandbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal

from domain.calendar import CalendarData, working_calendar
from domain.clocks import (
    ISSUANCE_LIMIT,
    ClockInput,
    Deadline,
    Pause,
    PauseKind,
    compute_due,
    extension_days,
    pauses_clock,
    warning_dates,
)

CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")
Level = Literal["yellow", "red", "breach"]
LEVELS: tuple[Level, ...] = ("yellow", "red", "breach")


def local_date(instant: datetime) -> date:
    """The calendar day in Asia/Shanghai of an aware instant."""
    return instant.astimezone(CHINA).date()


def start_of_day(day: date) -> datetime:
    """00:00 Asia/Shanghai of `day`, as an aware instant."""
    return datetime.combine(day, time.min, tzinfo=CHINA)


@dataclass(frozen=True)
class ClockPolicy:
    """Settings the service center chooses (the law leaves them to practice)."""

    start_offset: int = 1  # 1: count from the next working day; 2: from the 2nd
    yellow_days_before: int = 1


@dataclass(frozen=True)
class Extension:
    approver: str
    approver_role: str
    reason: str
    days: int
    granted_on: date


@dataclass(frozen=True)
class CaseClocks:
    """Everything needed to compute a case's deadlines at any moment."""

    accepted_on: date
    statutory_days: int
    promised_days: int
    joint: bool
    calendar: CalendarData
    policy: ClockPolicy = ClockPolicy()
    pauses: tuple[Pause, ...] = ()
    extension: Extension | None = None
    fired: tuple[str, ...] = field(default=())

    def with_pause(self, pause: Pause) -> CaseClocks:
        return replace(self, pauses=(*self.pauses, pause))

    def end_pause(self, notice_ref: str, end: date) -> CaseClocks:
        pauses = tuple(
            replace(p, end=max(end, p.start)) if p.notice_ref == notice_ref and p.end is None else p
            for p in self.pauses
        )
        return replace(self, pauses=pauses)

    def open_pause(self, notice_ref: str) -> Pause | None:
        return next((p for p in self.pauses if p.notice_ref == notice_ref and p.end is None), None)


@dataclass(frozen=True)
class Deadlines:
    statutory: Deadline
    promised: Deadline

    @property
    def provisional(self) -> bool:
        return self.statutory.provisional or self.promised.provisional


def deadlines(clocks: CaseClocks, today: date) -> Deadlines:
    """Statutory and promised due dates as of `today` (open pauses count up to today)."""
    cal = working_calendar(clocks.calendar)
    ext = clocks.extension.days if clocks.extension else 0
    offset = clocks.policy.start_offset
    statutory = ClockInput(clocks.accepted_on, clocks.statutory_days, clocks.pauses, ext, offset)
    # The extension is of the statutory limit; the promise is the center's own and stays.
    promised = ClockInput(clocks.accepted_on, clocks.promised_days, clocks.pauses, 0, offset)
    return Deadlines(
        statutory=compute_due(cal, statutory, today=today),
        promised=compute_due(cal, promised, today=today),
    )


def warning_instants(clocks: CaseClocks, d: Deadlines) -> dict[Level, datetime]:
    """When each warning fires: yellow at 00:00 of the working day(s) before the promised due,
    red at 00:00 after the promised due day ends, breach at 00:00 after the statutory due."""
    cal = working_calendar(clocks.calendar)
    dates = warning_dates(cal, d.promised.due, yellow_days_before=clocks.policy.yellow_days_before)
    return {
        "yellow": start_of_day(dates.yellow),
        "red": start_of_day(dates.red),
        "breach": start_of_day(d.statutory.due + timedelta(days=1)),
    }


def next_warning(clocks: CaseClocks, now: datetime) -> tuple[Level, datetime] | None:
    """The next warning not yet fired, and when; an instant in the past means "fire now".

    While a pause is open the due dates move every working day, so nothing fires: the caller
    recomputes at the next midnight (see `next_recompute`).
    """
    d = deadlines(clocks, local_date(now))
    if d.statutory.still_paused or d.promised.still_paused:
        return None
    instants = warning_instants(clocks, d)
    pending = [(instants[lv], lv) for lv in LEVELS if lv not in clocks.fired]
    if not pending:
        return None
    at, level = min(pending)
    return level, at


def next_recompute(clocks: CaseClocks, now: datetime) -> datetime | None:
    """While a pause is open: the next midnight, when the due dates move again."""
    if any(p.end is None and pauses_clock(p.kind) for p in clocks.pauses):
        return start_of_day(local_date(now) + timedelta(days=1))
    return None


def grant_extension(
    clocks: CaseClocks, approver: str, approver_role: str, reason: str, on: date
) -> CaseClocks:
    """Once per case: +15 joint (government head) or +10 single organ (organ's head).

    Raises:
        ValueError: A second extension, the wrong approver role, or no reason.
    """
    needed = "government_head" if clocks.joint else "department_head"
    if clocks.extension is not None:
        raise ValueError(
            f"the statutory limit was already extended once (by {clocks.extension.approver} "
            f"on {clocks.extension.granted_on}); the law allows one extension"
        )
    if approver_role != needed:
        raise ValueError(f"an extension of this case must be approved by a {needed}")
    if not reason.strip():
        raise ValueError("an extension needs a reason, which is told to the applicant")
    ext = Extension(approver, approver_role, reason, extension_days(clocks.joint), on)
    return replace(clocks, extension=ext)


def issuance_due(calendar: CalendarData, decided_on: date) -> date:
    """Art. 44: the licence is issued within 10 working days of the decision."""
    return working_calendar(calendar).add_working_days(decided_on, ISSUANCE_LIMIT)


def is_pause_kind(value: str) -> bool:
    return value in {k.value for k in PauseKind}
