"""Working-day calendar and its sources: CalendarData, WorkingCalendar, calendar files."""

from __future__ import annotations

import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter

from domain.calendar import CalendarData, WorkingCalendar
from domain.calendar_source import (
    CalendarFileError,
    load_builtin,
    load_calendar,
    missing_years,
    parse_calendar_file,
)

BUILTIN = load_builtin()
CAL = WorkingCalendar(BUILTIN)

# A tiny synthetic year: 2030-01-01 (Tue) off, Sat 2030-01-05 worked.
SMALL = CalendarData.from_dates([2030], [date(2030, 1, 1)], [date(2030, 1, 5)])


def naive_add(cal: WorkingCalendar, start: date, n: int) -> date:
    d = start
    while n:
        d += timedelta(days=1)
        n -= cal.is_working_day(d)
    return d


# --- CalendarData --------------------------------------------------------------------------


def test_calendar_data_is_canonical() -> None:
    a = CalendarData(years=(2030, 2030), holidays=("2030-01-02", "2030-01-01"), workdays=())
    b = CalendarData.from_dates([2030], [date(2030, 1, 1), date(2030, 1, 2)], [])
    assert a == b
    assert a.years == (2030,)
    assert a.holidays == ("2030-01-01", "2030-01-02")
    assert a.holiday_dates == (date(2030, 1, 1), date(2030, 1, 2))


@pytest.mark.parametrize(
    ("holidays", "workdays", "message"),
    [
        ([date(2031, 1, 1)], [], "outside the covered years"),
        ([date(2030, 1, 5)], [], "weekend"),
        ([], [date(2030, 1, 7)], "not a Saturday or Sunday"),
        ([], [date(2031, 1, 4)], "outside the covered years"),
    ],
)
def test_calendar_data_rejects_inconsistent_data(
    holidays: list[date], workdays: list[date], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        CalendarData.from_dates([2030], holidays, workdays)


def test_merge_other_overrides_the_years_it_covers() -> None:
    base = CalendarData.from_dates(
        [2030, 2031], [date(2030, 1, 1), date(2031, 1, 1)], [date(2030, 1, 5)]
    )
    overlay = CalendarData.from_dates([2031, 2032], [date(2031, 1, 2), date(2032, 1, 1)], [])
    merged = base.merge(overlay)
    assert merged.years == (2030, 2031, 2032)
    assert merged.holiday_dates == (date(2030, 1, 1), date(2031, 1, 2), date(2032, 1, 1))
    assert merged.workday_dates == (date(2030, 1, 5),)


@pytest.mark.parametrize(
    "converter", [DataConverter.default, pydantic_data_converter], ids=["default", "pydantic"]
)
def test_calendar_data_round_trips_through_temporal(converter: DataConverter) -> None:
    payloads = converter.payload_converter.to_payloads([BUILTIN])
    assert b'"2026-10-01"' in payloads[0].data  # human-readable ISO dates in histories
    [back] = converter.payload_converter.from_payloads(payloads, [CalendarData])
    assert back == BUILTIN
    assert isinstance(back.years, tuple) and isinstance(back.holidays, tuple)
    assert len(payloads[0].data) < 32_000  # far below Temporal's 256 KB payload warning


def test_pure_modules_stay_free_of_io_libraries() -> None:
    code = (
        "import sys, domain.calendar, domain.clocks;"
        "bad = {'chinese_calendar', 'yaml'} & set(sys.modules); assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


# --- WorkingCalendar -----------------------------------------------------------------------


def test_worked_example_from_the_domain() -> None:
    # Tue 2026-09-29 + 20: skips Oct 1–7, counts the make-up Saturday Oct 10.
    assert CAL.add_working_days(date(2026, 9, 29), 20) == date(2026, 11, 2)
    assert CAL.is_working_day(date(2026, 10, 10))
    assert not CAL.is_working_day(date(2026, 10, 5))
    assert CAL.working_days_between(date(2026, 9, 29), date(2026, 11, 2)) == 20


def test_start_offset_two_moves_due_by_one_working_day() -> None:
    start = date(2026, 9, 29)
    assert CAL.add_working_days(start, 20, start_offset=2) == CAL.add_working_days(start, 21)
    # Accepted Wed 2026-09-30: the 1st working day after is Thu 2026-10-08 (not counted with
    # offset 2), counted day 1 is Fri 2026-10-09, so N = 1 lands on Fri 2026-10-09.
    assert CAL.add_working_days(date(2026, 9, 30), 1, start_offset=2) == date(2026, 10, 9)


def test_zero_days_and_invalid_arguments() -> None:
    d = date(2026, 10, 3)
    assert CAL.add_working_days(d, 0) == d
    assert CAL.add_working_days(d, 0, start_offset=3) == d
    assert CAL.subtract_working_days(d, 0) == d
    with pytest.raises(ValueError):
        CAL.add_working_days(d, -1)
    with pytest.raises(ValueError):
        CAL.add_working_days(d, 1, start_offset=0)
    with pytest.raises(ValueError):
        CAL.subtract_working_days(d, -1)


def test_acceptance_on_a_holiday_counts_from_the_next_working_day() -> None:
    assert CAL.add_working_days(date(2026, 10, 1), 1) == date(2026, 10, 8)
    assert CAL.next_working_day(date(2026, 10, 1)) == date(2026, 10, 8)
    assert CAL.previous_working_day(date(2026, 10, 8)) == date(2026, 9, 30)
    assert CAL.subtract_working_days(date(2026, 10, 12), 2) == date(2026, 10, 9)


def test_working_days_between_is_half_open_and_antisymmetric() -> None:
    a, b = date(2026, 9, 25), date(2026, 10, 12)
    assert CAL.working_days_between(a, a) == 0
    # (Fri 25 Sep, Mon 12 Oct]: Sep 28, 29, 30, Oct 8, 9, 10 (Sat, make-up), 12.
    assert CAL.working_days_between(a, b) == 7
    assert CAL.working_days_between(b, a) == -7


def test_uncovered_years_use_the_weekday_rule_and_are_provisional() -> None:
    assert not CAL.covers(date(2027, 1, 1))
    assert CAL.is_working_day(date(2027, 1, 1))  # a Friday: no guessing of holidays
    inside = CAL.add_working_days_checked(date(2026, 9, 29), 20)
    assert inside == (date(2026, 11, 2), False)
    spill = CAL.add_working_days_checked(date(2026, 12, 28), 5)
    assert spill.provisional
    assert spill.day == date(2027, 1, 4)
    assert CAL.covers_between(date(2026, 12, 30), date(2026, 12, 31))
    assert not CAL.covers_between(date(2026, 12, 31), date(2027, 1, 1))
    # Day 0 itself never counts, so starting on the last day of a known year is still "known".
    assert CAL.add_working_days_checked(date(2025, 12, 31), 0).provisional is False


def test_index_boundaries_match_a_naive_walk() -> None:
    # SMALL indexes 2030..2032; compare before, across and after that window.
    cal = WorkingCalendar(SMALL)
    start = date(2028, 12, 1)
    for offset in range(0, 6 * 366, 7):
        day = start + timedelta(days=offset)
        for n in (1, 2, 5, 23, 400):
            due = cal.add_working_days(day, n)
            assert due == naive_add(cal, day, n), (day, n)
            assert cal.working_days_between(day, due) == n
            assert cal.subtract_working_days(due + timedelta(days=1), 1) == due


def test_empty_calendar_is_plain_weekdays() -> None:
    cal = WorkingCalendar(CalendarData())
    assert cal.add_working_days(date(2030, 1, 3), 2) == date(2030, 1, 7)  # Thu + 2 → Mon
    assert cal.add_working_days_checked(date(2030, 1, 3), 2).provisional
    assert cal.working_days_between(date(2030, 1, 4), date(2030, 1, 11)) == 5


def test_small_calendar_applies_holidays_and_make_up_days() -> None:
    cal = WorkingCalendar(SMALL)
    # Mon 2029-12-31 + 1 skips the Tue holiday; Sat Jan 5 is a make-up working day.
    assert cal.add_working_days(date(2029, 12, 31), 1) == date(2030, 1, 2)
    assert cal.add_working_days(date(2030, 1, 4), 1) == date(2030, 1, 5)


# --- calendar files --------------------------------------------------------------------------

ILLUSTRATIVE = """
year: 2099
source: illustrative
holidays:
  - 2099-01-01
  - {from: 2099-10-01, to: 2099-10-07, name: National Day}
workdays:
  - 2099-10-10
"""


def test_parse_single_year_drops_weekend_holidays() -> None:
    data = parse_calendar_file(ILLUSTRATIVE)
    assert data.years == (2099,)
    # 2099-10-03/04 are Sat/Sun and stored nowhere; the other five weekdays are days off.
    assert data.holiday_dates == (
        date(2099, 1, 1),
        *(date(2099, 10, d) for d in (1, 2, 5, 6, 7)),
    )
    assert data.workday_dates == (date(2099, 10, 10),)


def test_parse_several_years_as_list_and_documents() -> None:
    as_list = parse_calendar_file(
        "- {year: 2098, holidays: [2098-01-01]}\n- {year: 2099, holidays: ['2099-01-01']}\n"
    )
    as_docs = parse_calendar_file(
        "year: 2098\nholidays: [2098-01-01]\n---\nyear: 2099\nholidays: [2099-01-01]\n---\n"
    )
    assert as_list == as_docs
    assert as_list.years == (2098, 2099)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("year: 2099\nholidays: [2098-12-31]", r"holidays\[0\].*not in year 2099"),
        ("year: 2099\nholidays: [2099-01-01]\nworkdays: [2099-10-12]", r"workdays\[0\].*Monday"),
        (
            "year: 2099\nholidays: [{from: 2099-10-01, to: 2099-10-10}]\nworkdays: [2099-10-10]",
            "2099-10-10 is listed as both holiday and workday",
        ),
        ("year: 2099\nholidays: [{from: 2099-10-07, to: 2099-10-01}]", "before 'from'"),
        ("year: 2099\nholidays: [{from: 2099-01-01, to: 2099-03-01}]", "implausible"),
        ("year: 2099\nholidays: [{start: 2099-01-01}]", r"holidays\[0\].*needs 'from'"),
        ("year: 2099\nholidays: [2099-13-01]", "not a date"),
        ("year: 2099\nholidays: [2099-01-01 10:00:00]", r"holidays\[0\].*not a date"),
        ("year: 2099\nholiday: [2099-01-01]", r"unknown key\(s\) \['holiday'\]"),
        ("year: 2099\nworkdays: [2099-10-10]", "lists no holidays"),
        ("year: '2099'\nholidays: [2099-01-01]", "not a valid 'year'"),
        ("year: 2099\nholidays: 2099-01-01", "holidays: must be a list"),
        ("- {year: 2099, holidays: [2099-01-01]}\n- {year: 2099, holidays: [2099-01-02]}", "twice"),
        ("just text", "document 1 must be a year mapping"),
        ("", "defines no year"),
        ("year: [unclosed", "not valid YAML"),
    ],
)
def test_parse_rejects_bad_entries_naming_them(text: str, message: str) -> None:
    with pytest.raises(CalendarFileError, match=message):
        parse_calendar_file(text, source="2099.yaml")


def test_error_message_names_the_file() -> None:
    with pytest.raises(CalendarFileError, match=r"^ops/2099\.yaml: year 2099: workdays\[0\]"):
        parse_calendar_file(
            "year: 2099\nholidays: [2099-01-01]\nworkdays: [2099-01-02]", source="ops/2099.yaml"
        )


def test_load_builtin_covers_the_package_years() -> None:
    assert BUILTIN.years == tuple(range(2004, 2027))
    assert all(d.weekday() < 5 for d in BUILTIN.holiday_dates)
    assert load_builtin(range(2025, 2027)).years == (2025, 2026)


def test_load_calendar_overlays_files_and_directories(tmp_path: Path) -> None:
    (tmp_path / "2099.yaml").write_text(ILLUSTRATIVE, encoding="utf-8")
    (tmp_path / "README.md").write_text("ignored", encoding="utf-8")
    override = tmp_path / "fix-2026.yml"
    override.write_text("year: 2026\nholidays: [2026-01-01]\n", encoding="utf-8")
    data = load_calendar([tmp_path])
    assert 2099 in data.years and 2004 in data.years
    assert [d for d in data.holiday_dates if d.year == 2026] == [date(2026, 1, 1)]
    assert load_calendar([]) == BUILTIN
    with pytest.raises(CalendarFileError, match="no such calendar file"):
        load_calendar([tmp_path / "missing.yaml"])


def test_the_shipped_calendar_directory_loads() -> None:
    shipped = Path(__file__).parents[2] / "deploy" / "calendars"
    assert load_calendar([shipped]).years[0] == 2004


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 10, 31), []),
        (date(2026, 11, 1), [2027]),
        (date(2026, 12, 31), [2027]),
        (date(2027, 1, 2), [2027]),
        (date(2027, 11, 5), [2027, 2028]),
        (date(2025, 11, 5), []),
    ],
)
def test_missing_years(today: date, expected: list[int]) -> None:
    assert missing_years(BUILTIN, today) == expected
