"""Working-day calendar: the pure arithmetic behind every statutory and promised clock.

A working day is Mon–Fri, minus official holidays and swapped rest days, plus make-up weekend
working days (调休). This module only computes on data it is given; loading the official schedule
lives in :mod:`domain.calendar_source`, so this module stays importable inside the Temporal
workflow sandbox (stdlib only, no I/O, no wall clock).

Counting convention: the start day (e.g. acceptance) is day 0 and never counts; the Nth working
day strictly after it is the due day. Outside the years whose schedule is known the plain
weekday rule applies, and the ``*_checked`` variants report such results as provisional so a
caller can raise an alert instead of trusting a guess.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import NamedTuple

# Index this many years past the last known one: a clock started in late December of the last
# known year spills into the next; beyond the index the weekday rule is applied in O(1) anyway.
_INDEX_SPILL_YEARS = 2


@dataclass(frozen=True)
class CalendarData:
    """The official schedule for some years, as plain JSON-friendly data.

    Dates are ISO strings (``"2026-10-01"``), not ``date`` objects, because Temporal's default
    JSON converter cannot encode ``date``; strings round-trip through it and through the pydantic
    converter alike. Use :meth:`from_dates` and :attr:`holiday_dates` to work with dates.
    Values are validated, de-duplicated and sorted on construction.

    Attributes:
        years: Years whose official schedule is known.
        holidays: Official days off that fall on Mon–Fri (incl. swapped rest days).
        workdays: Make-up working days (调休) that fall on Sat/Sun.
    """

    years: tuple[int, ...] = ()
    holidays: tuple[str, ...] = ()
    workdays: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        years = tuple(sorted(set(self.years)))
        holidays = _canonical_dates(self.holidays)
        workdays = _canonical_dates(self.workdays)
        _validate(set(years), holidays, workdays)
        # Canonical form makes equality and serialized payloads independent of input order.
        object.__setattr__(self, "years", years)
        object.__setattr__(self, "holidays", tuple(d.isoformat() for d in holidays))
        object.__setattr__(self, "workdays", tuple(d.isoformat() for d in workdays))

    @classmethod
    def from_dates(
        cls, years: Iterable[int], holidays: Iterable[date], workdays: Iterable[date]
    ) -> CalendarData:
        """Build from ``date`` objects; raises ValueError if the data is inconsistent."""
        return cls(
            years=tuple(years),
            holidays=tuple(d.isoformat() for d in holidays),
            workdays=tuple(d.isoformat() for d in workdays),
        )

    @property
    def holiday_dates(self) -> tuple[date, ...]:
        """Weekday days off, as dates."""
        return tuple(date.fromisoformat(s) for s in self.holidays)

    @property
    def workday_dates(self) -> tuple[date, ...]:
        """Make-up weekend working days, as dates."""
        return tuple(date.fromisoformat(s) for s in self.workdays)

    def restricted(self, years: Iterable[int]) -> CalendarData:
        """Only the given years: a case carries the few years its clocks can reach."""
        keep = set(years)
        return CalendarData(
            years=tuple(y for y in self.years if y in keep),
            holidays=tuple(s for s in self.holidays if int(s[:4]) in keep),
            workdays=tuple(s for s in self.workdays if int(s[:4]) in keep),
        )

    def merge(self, other: CalendarData) -> CalendarData:
        """Overlay ``other``: for every year it covers, its schedule replaces this one's."""
        replaced = set(other.years)
        return CalendarData(
            years=(*self.years, *other.years),
            holidays=(*(s for s in self.holidays if int(s[:4]) not in replaced), *other.holidays),
            workdays=(*(s for s in self.workdays if int(s[:4]) not in replaced), *other.workdays),
        )


def _canonical_dates(values: Iterable[str | date]) -> list[date]:
    # Accepting dates too lets a caller skip from_dates; strings are the stored form.
    parsed = {v if isinstance(v, date) else date.fromisoformat(v) for v in values}
    return sorted(parsed)


def _validate(years: set[int], holidays: list[date], workdays: list[date]) -> None:
    for d in holidays:
        if d.year not in years:
            raise ValueError(f"holiday {d} is outside the covered years")
        if d.weekday() >= 5:
            raise ValueError(f"holiday {d} falls on a weekend; only Mon–Fri days off are stored")
    for d in workdays:
        if d.year not in years:
            raise ValueError(f"make-up workday {d} is outside the covered years")
        if d.weekday() < 5:
            raise ValueError(f"make-up workday {d} is not a Saturday or Sunday")


class DayResult(NamedTuple):
    """A computed day and whether it relied on a year with no known official schedule."""

    day: date
    provisional: bool


def _weekdays_upto(ordinal: int) -> int:
    """Mon–Fri days in ordinals [1, ordinal]; ordinal 1 (0001-01-01) is a Monday."""
    return (ordinal // 7) * 5 + min(ordinal % 7, 5)


def _weekday_with_count(count: int) -> int:
    """The smallest ordinal o with ``_weekdays_upto(o) == count`` (always a Mon–Fri)."""
    weeks, rest = divmod(count, 5)
    return weeks * 7 - 2 if rest == 0 else weeks * 7 + rest


class WorkingCalendar:
    """Working-day arithmetic over a :class:`CalendarData`; immutable and cheap to query.

    Construction precomputes a cumulative working-day count over the known years, so every query
    is O(1) or O(log n): reports run this for 100k cases.
    """

    __slots__ = ("_base", "_cum", "_holidays", "_top", "_workdays", "_years")

    def __init__(self, data: CalendarData) -> None:
        """Build the lookup sets and the cumulative index from ``data``."""
        self._years = frozenset(data.years)
        self._holidays = frozenset(d.toordinal() for d in data.holiday_dates)
        self._workdays = frozenset(d.toordinal() for d in data.workday_dates)
        if data.years:
            self._base = date(min(data.years), 1, 1).toordinal() - 1
            self._top = date(max(data.years) + _INDEX_SPILL_YEARS, 12, 31).toordinal()
        else:
            self._base = self._top = 0
        # _cum[i] = working days in (base, base + i]; outside [base, top] only weekdays exist.
        cum = [0]
        for o in range(self._base + 1, self._top + 1):
            cum.append(cum[-1] + self._is_working(o))
        self._cum = cum

    @property
    def years(self) -> frozenset[int]:
        """Years whose official schedule is known."""
        return self._years

    def covers(self, d: date) -> bool:
        """Whether ``d`` lies in a year whose official schedule is known."""
        return d.year in self._years

    def covers_between(self, a: date, b: date) -> bool:
        """Whether every day in (min(a, b), max(a, b)] lies in a known year."""
        lo, hi = min(a, b), max(a, b)
        if lo == hi:
            return True
        first = date.fromordinal(lo.toordinal() + 1).year
        return all(y in self._years for y in range(first, hi.year + 1))

    def is_working_day(self, d: date) -> bool:
        """Whether ``d`` is a working day (weekday rule in years with no known schedule)."""
        return self._is_working(d.toordinal())

    def working_days_between(self, a: date, b: date) -> int:
        """Working days in (a, b]; negative (antisymmetric) when ``b`` is before ``a``."""
        return self._rank(b.toordinal()) - self._rank(a.toordinal())

    def add_working_days(self, start: date, n: int, *, start_offset: int = 1) -> date:
        """The Nth counted working day after ``start`` (``start`` is day 0).

        ``start_offset`` is the setting "counting starts on the k-th working day after
        acceptance": with k = 2 the first working day after acceptance is not counted, the 2nd
        is counted day 1, so the due day is the (N + 1)th working day after ``start``. In
        general the result is the (N + k − 1)th working day. ``n == 0`` returns ``start``.

        Args:
            start: Day 0, e.g. the acceptance day; it need not be a working day.
            n: Working days to count, ``n >= 0``.
            start_offset: Which working day after ``start`` is counted first, ``>= 1``.

        Returns:
            The due day, always a working day when ``n > 0``.

        Raises:
            ValueError: If ``n`` is negative or ``start_offset`` is below 1.
        """
        if n < 0 or start_offset < 1:
            raise ValueError(f"need n >= 0 and start_offset >= 1, got {n=}, {start_offset=}")
        if n == 0:
            return start
        total = n + start_offset - 1
        return date.fromordinal(self._day_with_rank(self._rank(start.toordinal()) + total))

    def add_working_days_checked(self, start: date, n: int, *, start_offset: int = 1) -> DayResult:
        """Like :meth:`add_working_days`, flagging results that crossed an unknown year."""
        due = self.add_working_days(start, n, start_offset=start_offset)
        return DayResult(due, not self.covers_between(start, due))

    def subtract_working_days(self, d: date, n: int) -> date:
        """The Nth working day before ``d`` (``d`` itself never counts); ``n == 0`` gives ``d``."""
        if n < 0:
            raise ValueError(f"need n >= 0, got {n=}")
        if n == 0:
            return d
        # The Nth working day before d is the first day whose rank equals rank(d - 1) - n + 1.
        return date.fromordinal(self._day_with_rank(self._rank(d.toordinal() - 1) - n + 1))

    def next_working_day(self, d: date) -> date:
        """The first working day strictly after ``d``."""
        return self.add_working_days(d, 1)

    def previous_working_day(self, d: date) -> date:
        """The last working day strictly before ``d``."""
        return self.subtract_working_days(d, 1)

    def _is_working(self, ordinal: int) -> bool:
        if ordinal in self._workdays:
            return True
        return ordinal not in self._holidays and (ordinal - 1) % 7 < 5

    def _rank(self, ordinal: int) -> int:
        """A monotone working-day counter: rank(b) - rank(a) = working days in (a, b]."""
        if ordinal <= self._base:
            return _weekdays_upto(ordinal) - _weekdays_upto(self._base)
        if ordinal <= self._top:
            return self._cum[ordinal - self._base]
        return self._cum[-1] + _weekdays_upto(ordinal) - _weekdays_upto(self._top)

    def _day_with_rank(self, rank: int) -> int:
        """The first ordinal reaching ``rank``: a working day, as rank steps up only there."""
        if rank <= 0:
            return _weekday_with_count(rank + _weekdays_upto(self._base))
        if rank <= self._cum[-1]:
            return self._base + bisect_left(self._cum, rank)
        return _weekday_with_count(rank - self._cum[-1] + _weekdays_upto(self._top))


@lru_cache(maxsize=8)
def working_calendar(data: CalendarData) -> WorkingCalendar:
    """The calendar for `data`, built once per distinct schedule.

    Building indexes every day of the known years (a few thousand steps); clocks, the inbox,
    reports and the stalled list ask for it on every call. The result is immutable and
    equal data gives an equal calendar, so sharing it is safe, inside workflows too.
    """
    return WorkingCalendar(data)
