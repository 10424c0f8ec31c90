"""Clock math for approval time limits (ALL Arts. 32, 42–45, 82); pure and deterministic.

Every function takes the calendar and any "today" explicitly, so workflows can pass
``workflow.now()`` and reports can pass a fixed date: nothing here reads the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Literal

from domain.calendar import WorkingCalendar

CORRECTION_NOTICE_DAYS = 5  # Art. 32: tell the applicant what to correct, once and fully
SINGLE_ORGAN_LIMIT = 20  # Art. 42 ¶1
SINGLE_ORGAN_EXTENSION = 10  # Art. 42 ¶1, approved by the organ's head
JOINT_LIMIT = 45  # Art. 42 ¶2, joint / centralized handling
JOINT_EXTENSION = 15  # Art. 42 ¶2, approved by the government head
LOWER_LEVEL_REVIEW_LIMIT = 20  # Art. 43
ISSUANCE_LIMIT = 10  # Art. 44: issue the licence after the decision

WarningLevel = Literal["none", "yellow", "red", "breach"]


class PauseKind(StrEnum):
    """Special procedures; all but site inspection are not counted in the limit (Art. 45)."""

    HEARING = "hearing"  # 听证
    BIDDING = "bidding"  # 招标
    AUCTION = "auction"  # 拍卖
    INSPECTION = "inspection"  # 检验
    TESTING = "testing"  # 检测
    QUARANTINE = "quarantine"  # 检疫
    APPRAISAL = "appraisal"  # 鉴定
    EXPERT_REVIEW = "expert_review"  # 专家评审
    SITE_INSPECTION = "site_inspection"  # 现场核查: part of the review itself, clock runs
    CORRECTION = "correction"  # 补正 asked by a department during review (matter's rule)


def pauses_clock(kind: PauseKind) -> bool:
    """Whether time spent in a procedure of this kind is excluded from the limit."""
    return PauseKind(kind) is not PauseKind.SITE_INSPECTION


@dataclass(frozen=True)
class Pause:
    """A special-procedure interval, both ends inclusive; ``end is None`` while still open."""

    kind: PauseKind
    start: date
    end: date | None
    notice_ref: str

    def __post_init__(self) -> None:
        # Payload converters hand back plain strings; normalize so comparisons stay exact.
        object.__setattr__(self, "kind", PauseKind(self.kind))
        if self.end is not None and self.end < self.start:
            raise ValueError(f"pause {self.notice_ref!r} ends {self.end} before it starts")


@dataclass(frozen=True)
class ClockInput:
    """What a clock needs: acceptance, limit, special procedures and any approved extension."""

    accepted_on: date
    limit_days: int
    pauses: tuple[Pause, ...] = ()
    extension_days: int = 0
    start_offset: int = 1

    def __post_init__(self) -> None:
        if self.limit_days < 0 or self.extension_days < 0 or self.start_offset < 1:
            raise ValueError(
                "need limit_days >= 0, extension_days >= 0 and start_offset >= 1, got "
                f"{self.limit_days}, {self.extension_days}, {self.start_offset}"
            )


@dataclass(frozen=True)
class Deadline:
    """A computed due day.

    Attributes:
        due: Last day of the limit (the deadline is the end of this day).
        provisional: The count crossed a year with no known official schedule.
        paused_days: Working days excluded because a special procedure ran while the clock did.
        limit_days: The limit the clock was started with (without extension).
        extension_days: Approved extension included in ``due``.
        still_paused: A pause is open, so ``due`` is a lower bound that grows each working day.
    """

    due: date
    provisional: bool
    paused_days: int
    limit_days: int
    extension_days: int = 0
    still_paused: bool = False


@dataclass(frozen=True)
class WarningDates:
    """When the promised-limit warnings fire: yellow on ``yellow``, red from ``red`` on."""

    yellow: date
    red: date


def compute_due(cal: WorkingCalendar, clock: ClockInput, *, today: date | None = None) -> Deadline:
    """Due day = Nth working day after acceptance + paused working days + approved extension.

    Counting days are working days after acceptance that fall inside no clock-stopping pause;
    the due day is the (limit + extension)th counting day (shifted by ``start_offset`` as in
    :meth:`WorkingCalendar.add_working_days`: the first ``start_offset - 1`` unpaused working
    days are not counted). Overlapping pauses count once, and a pause that starts after the
    clock already ran out cannot revive it.

    Args:
        cal: The working calendar.
        clock: Acceptance day, limit, pauses, extension and start setting.
        today: Needed when a pause is open: it counts as paused up to and including ``today``.

    Raises:
        ValueError: If a pause is open and ``today`` is not given.
    """
    total = clock.limit_days + clock.extension_days
    remaining = total + clock.start_offset - 1 if total else 0
    cursor, paused = clock.accepted_on, 0
    for start, end in _pause_intervals(clock, today):
        before_pause = cal.working_days_between(cursor, start - timedelta(days=1))
        if before_pause >= remaining:
            break  # the clock runs out before this pause begins
        remaining -= before_pause
        paused += cal.working_days_between(start - timedelta(days=1), end)
        cursor = end
    due = cal.add_working_days(cursor, remaining)
    # An open pause that began before the clock ran out keeps pushing the due day.
    still_paused = any(
        p.end is None and pauses_clock(p.kind) and p.start <= min(due, today or p.start)
        for p in clock.pauses
    )
    return Deadline(
        due=due,
        provisional=not cal.covers_between(clock.accepted_on, due),
        paused_days=paused,
        limit_days=clock.limit_days,
        extension_days=clock.extension_days,
        still_paused=still_paused,
    )


def _pause_intervals(clock: ClockInput, today: date | None) -> list[tuple[date, date]]:
    """Clock-stopping pauses clipped to after acceptance, sorted and merged."""
    spans: list[tuple[date, date]] = []
    for p in clock.pauses:
        if not pauses_clock(p.kind):
            continue
        end = p.end if p.end is not None else today
        if end is None:
            raise ValueError(f"pause {p.notice_ref!r} is open: pass today to compute the due day")
        start = max(p.start, clock.accepted_on + timedelta(days=1))  # day 0 never counts anyway
        if start <= end:
            spans.append((start, end))
    merged: list[tuple[date, date]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def warning_dates(
    cal: WorkingCalendar, promised_due: date, *, yellow_days_before: int = 1
) -> WarningDates:
    """Yellow: ``yellow_days_before`` working days before the promised due; red: the day after."""
    return WarningDates(
        yellow=cal.subtract_working_days(promised_due, yellow_days_before),
        red=promised_due + timedelta(days=1),
    )


def warning_level(
    today: date,
    promised_due: date,
    statutory_due: date,
    cal: WorkingCalendar,
    *,
    yellow_days_before: int = 1,
) -> WarningLevel:
    """The most severe warning in force on ``today`` (breach > red > yellow > none)."""
    if today > statutory_due:
        return "breach"
    dates = warning_dates(cal, promised_due, yellow_days_before=yellow_days_before)
    if today >= dates.red:
        return "red"
    if today >= dates.yellow:
        return "yellow"
    return "none"


def correction_notice_deadline(cal: WorkingCalendar, received_on: date) -> date:
    """Last day to tell the applicant what to correct: 5 working days after receipt."""
    return cal.add_working_days(received_on, CORRECTION_NOTICE_DAYS)


def effective_acceptance(
    received_on: date,
    accepted_on: date,
    correction_requested_on: date | None,
    cal: WorkingCalendar,
) -> date:
    """The day the decision clock starts from, applying Art. 32's retroactive acceptance.

    If the correction notice came in time, or the application was accepted in time without
    one, the actual acceptance day stands. Otherwise (no notice and a late acceptance, or a late
    notice) the application counts as accepted on the day of receipt.

    Raises:
        ValueError: If acceptance or the correction request precede receipt.
    """
    if accepted_on < received_on or (
        correction_requested_on is not None and correction_requested_on < received_on
    ):
        raise ValueError("acceptance and correction request cannot precede receipt")
    limit = correction_notice_deadline(cal, received_on)
    if correction_requested_on is not None:
        return accepted_on if correction_requested_on <= limit else received_on
    return accepted_on if accepted_on <= limit else received_on


def extension_days(joint: bool) -> int:
    """The one extension allowed: +15 for joint handling, +10 for a single organ."""
    return JOINT_EXTENSION if joint else SINGLE_ORGAN_EXTENSION


def default_statutory_limit(joint: bool) -> int:
    """Statutory decision limit: 45 working days for joint handling, 20 for a single organ."""
    return JOINT_LIMIT if joint else SINGLE_ORGAN_LIMIT
