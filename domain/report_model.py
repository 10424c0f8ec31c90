"""The efficiency report's data: what the store reads (counts, spans, ratings) and the rows
the report is made of. Definitions of each measure: :mod:`domain.reports`."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any, NamedTuple, overload

BAD_RATINGS = frozenset({"dissatisfied", "very_dissatisfied"})  # 不满意, 非常不满意
TOTAL = "ALL"
NOT_MEASURED: tuple[str, ...] = (
    "in-person visits per case: only a submission at the window is recorded as a visit "
    "(in_person_per_case, a lower bound); supplements and collection record no channel",
)


class Ratio:
    """A rate of a row, read like a field: one of its counts over another (None over 0)."""

    def __init__(self, part: str, whole: str) -> None:
        self.part, self.whole = part, whole

    @overload
    def __get__(self, row: None, owner: type[Any]) -> Ratio: ...
    @overload
    def __get__(self, row: object, owner: type[Any]) -> float | None: ...
    def __get__(self, row: object | None, owner: type[Any]) -> Ratio | float | None:
        if row is None:
            return self
        return _ratio(getattr(row, self.part), getattr(row, self.whole))


@dataclass(frozen=True, kw_only=True)
class CaseCounts:
    """How a group's cases (a department's: its review tasks) stand: what the store counts and
    a report row shows as it was counted."""

    cases: int = 0
    accepted: int = 0
    not_accepted: int = 0
    ended: int = 0  # withdrawn or terminated (cases); cancelled (tasks)
    concluded: int = 0
    open: int = 0
    on_time: int = 0
    early: int = 0
    overdue: int = 0
    breached: int = 0
    online: int = 0


@dataclass(frozen=True)
class Counts(CaseCounts):
    """Conditional counts for one group (matter or department) and one matter."""

    key: str
    matter_code: str
    # Working days counted over `timed` finished steps, when SQL summed them (PostgreSQL).
    days: int = 0
    timed: int = 0

    def __add__(self, other: Counts) -> Counts:
        summed = {
            f.name: getattr(self, f.name) + getattr(other, f.name)
            for f in fields(self)
            if f.name not in ("key", "matter_code")
        }
        return replace(self, **summed)


class Span(NamedTuple):
    """``n`` steps of group ``key`` that ran from ``start`` to ``end`` (local days), with
    ``paused`` working days in clock-stopping pauses among all of them together.

    A tuple, not a dataclass: a report reads tens of thousands of these, and a frozen
    dataclass costs several times more to build."""

    key: str
    start: date
    end: date
    n: int
    paused: int = 0


@dataclass(frozen=True)
class RatingCounts:
    """Ratings of one matter's cases: how many, how many bad, how many bad ones followed up."""

    matter_code: str
    rated: int
    bad: int
    followed_up: int


@dataclass(frozen=True)
class CorrectionCounts:
    """Corrections asked of the applicants of one matter: by the window at pre-review
    (``department`` None, Art. 32) or by a department during review."""

    matter_code: str
    department: str | None
    n: int


@dataclass(frozen=True)
class SlaRow(CaseCounts):
    """One line of the report; rates are None when their denominator is zero."""

    key: str
    name: str
    immediate: int = 0
    avg_working_days: float | None = None
    compression: float | None = None
    materials: float | None = None
    promised_days: int | None = None  # the matter's promised limit (matter rows only)
    rated: int = 0
    bad_ratings: int = 0
    followed_up: int = 0
    corrections: int = 0  # asked by departments during review (per department: its own)
    correction_notices: int = 0  # sent by the window at pre-review (matter rows and total)

    @property
    def settled(self) -> int:
        """Cases whose result against the promised due date is known."""
        return self.on_time + self.overdue

    @property
    def open_not_due(self) -> int:
        """Open cases not yet past their promised due date (or with the clock paused)."""
        return max(0, self.open - (self.settled - self.concluded))

    # The rates: one count over another, None where the other is 0.
    on_time_rate = Ratio("on_time", "settled")
    early_rate = Ratio("early", "settled")
    overdue_rate = Ratio("overdue", "settled")
    online_rate = Ratio("online", "cases")
    immediate_share = Ratio("immediate", "cases")
    # Department correction requests per accepted case (per department: per task).
    corrections_per_case = Ratio("corrections", "accepted")
    follow_up_rate = Ratio("followed_up", "bad_ratings")

    @property
    def in_person_per_case(self) -> float | None:
        """Recorded in-person visits per case: submissions at the window / cases. A lower
        bound: supplements and collecting the licence record no channel."""
        return _ratio(self.cases - self.online, self.cases)

    @property
    def satisfaction(self) -> float | None:
        return _ratio(self.rated - self.bad_ratings, self.rated)


@dataclass(frozen=True)
class SlaInput:
    """Everything the store read for one report."""

    case_counts: tuple[Counts, ...] = ()
    case_spans: tuple[Span, ...] = ()
    task_counts: tuple[Counts, ...] = ()
    task_spans: tuple[Span, ...] = ()
    ratings: tuple[RatingCounts, ...] = ()
    corrections: tuple[CorrectionCounts, ...] = ()


@dataclass(frozen=True)
class ReportScope:
    """What a report (and the dashboard) covers: the cases of local days [start, end] (either
    open-ended; submitted on them, or concluded: the report's `by`), of one matter or all, one
    department's own row or every row; `today` is "now" for the open cases (None: today in
    Asia/Shanghai)."""

    start: date | None = None
    end: date | None = None
    matter: str | None = None
    department: str | None = None
    today: date | None = None


@dataclass(frozen=True)
class SlaReport:
    """The report as of ``as_of``; ``total`` is None when scoped to one department."""

    as_of: date
    start: date | None
    end: date | None
    matter: str | None
    department: str | None
    matters: tuple[SlaRow, ...]
    departments: tuple[SlaRow, ...]
    total: SlaRow | None
    not_measured: tuple[str, ...] = field(default=NOT_MEASURED)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None
