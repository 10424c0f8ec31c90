"""Properties of the working-day calculator and the clock math (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from random import Random

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import CalendarData, WorkingCalendar
from domain.calendar_source import load_builtin
from domain.clocks import ClockInput, Pause, PauseKind, compute_due

BUILTIN = load_builtin()
CAL = WorkingCalendar(BUILTIN)
# A short calendar is rebuilt per example in the "change the data" properties; keep it cheap.
SHORT = load_builtin(range(2025, 2027))

# Spans before the index (2000–2003), the known years, and unknown years after 2026.
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 31))
known_days = st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 10, 31))
counts = st.integers(min_value=0, max_value=120)
offsets = st.integers(min_value=1, max_value=3)
pausing_kinds = st.sampled_from([k for k in PauseKind if k is not PauseKind.SITE_INSPECTION])


@st.composite
def pauses(
    draw: st.DrawFn, around: date, kinds: st.SearchStrategy[PauseKind] = pausing_kinds
) -> Pause:
    start = around + timedelta(days=draw(st.integers(min_value=-10, max_value=90)))
    length = draw(st.integers(min_value=0, max_value=30))
    return Pause(draw(kinds), start, start + timedelta(days=length), "N-1")


@st.composite
def clocks(draw: st.DrawFn) -> ClockInput:
    accepted = draw(days)
    return ClockInput(
        accepted_on=accepted,
        limit_days=draw(counts),
        pauses=tuple(draw(st.lists(pauses(accepted), max_size=4))),
        extension_days=draw(st.integers(min_value=0, max_value=15)),
        start_offset=draw(offsets),
    )


def naive_add(cal: WorkingCalendar, start: date, n: int) -> date:
    d = start
    while n:
        d += timedelta(days=1)
        n -= cal.is_working_day(d)
    return d


@given(days, counts)
def test_fast_path_matches_a_day_by_day_walk(start: date, n: int) -> None:
    assert CAL.add_working_days(start, n) == naive_add(CAL, start, n)


@given(days, counts, offsets)
def test_due_is_a_working_day_exactly_n_plus_offset_days_later(
    start: date, n: int, offset: int
) -> None:
    due = CAL.add_working_days(start, n, start_offset=offset)
    if n == 0:
        assert due == start
        return
    assert CAL.is_working_day(due)
    assert CAL.working_days_between(start, due) == n + offset - 1


@given(days, counts, offsets)
def test_monotonic_in_n(start: date, n: int, offset: int) -> None:
    assert CAL.add_working_days(start, n, start_offset=offset) < CAL.add_working_days(
        start, n + 1, start_offset=offset
    )


@given(days, days, counts)
def test_monotonic_in_start(a: date, b: date, n: int) -> None:
    lo, hi = sorted((a, b))
    assert CAL.add_working_days(lo, n) <= CAL.add_working_days(hi, n)


@given(days, days, days)
def test_working_days_between_is_additive(a: date, b: date, c: date) -> None:
    between = CAL.working_days_between
    assert between(a, b) + between(b, c) == between(a, c)
    assert between(a, b) == -between(b, a)


@given(days, st.integers(min_value=0, max_value=60))
def test_subtract_inverts_add_on_working_days(d: date, n: int) -> None:
    day = d if CAL.is_working_day(d) else CAL.next_working_day(d)
    assert CAL.add_working_days(CAL.subtract_working_days(day, n), n) == day


@given(days, counts)
def test_provisional_iff_an_unknown_year_was_crossed(start: date, n: int) -> None:
    due, provisional = CAL.add_working_days_checked(start, n)
    touched = {(start + timedelta(days=k)).year for k in range(1, (due - start).days + 1)}
    assert provisional == any(y not in BUILTIN.years for y in touched)


@settings(max_examples=40)
@given(known_days, st.integers(min_value=1, max_value=60), known_days)
def test_adding_a_holiday_never_makes_a_deadline_earlier(start: date, n: int, extra: date) -> None:
    base = WorkingCalendar(SHORT)
    if not base.is_working_day(extra) or extra.weekday() >= 5:
        return
    more = SHORT.merge(
        CalendarData.from_dates(
            [extra.year],
            [*(d for d in SHORT.holiday_dates if d.year == extra.year), extra],
            [d for d in SHORT.workday_dates if d.year == extra.year],
        )
    )
    assert WorkingCalendar(more).add_working_days(start, n) >= base.add_working_days(start, n)


@given(clocks())
def test_due_is_nth_working_day_plus_paused_days(clock: ClockInput) -> None:
    result = compute_due(CAL, clock)
    total = clock.limit_days + clock.extension_days
    if total == 0:
        assert result.due == clock.accepted_on
        return
    assert CAL.is_working_day(result.due)
    counted = total + clock.start_offset - 1
    assert CAL.working_days_between(clock.accepted_on, result.due) == counted + result.paused_days


@given(clocks())
def test_pauses_never_shorten(clock: ClockInput) -> None:
    bare = replace(clock, pauses=())
    assert compute_due(CAL, clock).due >= compute_due(CAL, bare).due


@given(clocks(), st.randoms())
def test_pause_order_and_duplicates_do_not_matter(clock: ClockInput, rnd: Random) -> None:
    shuffled = list(clock.pauses) * 2
    rnd.shuffle(shuffled)
    other = replace(clock, pauses=tuple(shuffled))
    assert compute_due(CAL, other) == compute_due(CAL, clock)


@given(clocks(), st.lists(pauses(date(2026, 1, 1), st.just(PauseKind.SITE_INSPECTION))))
def test_site_inspections_never_move_the_due_day(clock: ClockInput, visits: list[Pause]) -> None:
    other = replace(clock, pauses=(*clock.pauses, *visits))
    assert compute_due(CAL, other) == compute_due(CAL, clock)


@given(days, st.integers(min_value=1, max_value=60), st.integers(min_value=0, max_value=15))
def test_extension_adds_exactly_its_working_days(start: date, limit: int, ext: int) -> None:
    plain = compute_due(CAL, ClockInput(start, limit)).due
    extended = compute_due(CAL, ClockInput(start, limit, extension_days=ext)).due
    assert CAL.working_days_between(plain, extended) == ext


@given(known_days, counts, st.integers(min_value=0, max_value=40), st.integers(0, 40))
def test_an_open_pause_only_pushes_the_due_later_as_time_passes(
    accepted: date, limit: int, start_in: int, elapsed: int
) -> None:
    start = accepted + timedelta(days=start_in)
    clock = ClockInput(accepted, limit, (Pause(PauseKind.TESTING, start, None, "N-1"),))
    earlier = compute_due(CAL, clock, today=start + timedelta(days=elapsed))
    later = compute_due(CAL, clock, today=start + timedelta(days=elapsed + 1))
    assert earlier.due <= later.due
    assert earlier.paused_days <= later.paused_days
