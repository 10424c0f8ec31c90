"""Clock math: due days with pauses and extensions, warnings, Art. 32 acceptance."""

from __future__ import annotations

from datetime import date

import pytest
from temporalio.contrib.pydantic import pydantic_data_converter

from domain.calendar import WorkingCalendar
from domain.calendar_source import load_builtin
from domain.clocks import (
    ClockInput,
    Deadline,
    Pause,
    PauseKind,
    compute_due,
    correction_notice_deadline,
    default_statutory_limit,
    effective_acceptance,
    extension_days,
    pauses_clock,
    warning_dates,
    warning_level,
)

CAL = WorkingCalendar(load_builtin())

# November 2026 has no holidays: accepted Mon Nov 2 + 20 working days → Mon Nov 30.
NOV2 = date(2026, 11, 2)


def nov(day: int) -> date:
    return date(2026, 11, day)


def dec(day: int) -> date:
    return date(2026, 12, day)


def pause(kind: PauseKind, start: date, end: date | None) -> Pause:
    return Pause(kind=kind, start=start, end=end, notice_ref=f"N-{kind}-{start}")


def due(*pauses: Pause, today: date | None = None, **kwargs: int) -> Deadline:
    fields = {"limit_days": 20, **kwargs}
    return compute_due(CAL, ClockInput(accepted_on=NOV2, pauses=pauses, **fields), today=today)


def test_without_pauses_due_is_the_nth_working_day() -> None:
    assert due() == Deadline(
        due=nov(30), provisional=False, paused_days=0, limit_days=20, extension_days=0
    )
    worked = compute_due(CAL, ClockInput(accepted_on=date(2026, 9, 29), limit_days=20))
    assert worked.due == date(2026, 11, 2)


def test_a_pause_pushes_by_its_working_days() -> None:
    # Expert review Mon Nov 9 – Fri Nov 13: five working days not counted.
    result = due(pause(PauseKind.EXPERT_REVIEW, nov(9), nov(13)))
    assert (result.due, result.paused_days) == (dec(7), 5)


def test_site_inspection_does_not_pause() -> None:
    assert not pauses_clock(PauseKind.SITE_INSPECTION)
    assert all(pauses_clock(k) for k in PauseKind if k is not PauseKind.SITE_INSPECTION)
    assert due(pause(PauseKind.SITE_INSPECTION, nov(9), nov(13))).due == nov(30)


def test_overlapping_pauses_count_once() -> None:
    a = pause(PauseKind.TESTING, nov(9), nov(11))
    b = pause(PauseKind.QUARANTINE, nov(10), nov(13))
    assert due(a, b) == due(pause(PauseKind.TESTING, nov(9), nov(13)))
    assert due(a, b).paused_days == 5


def test_pause_days_before_acceptance_are_ignored() -> None:
    # Oct 28 – Nov 4 only overlaps the clock on Nov 3 and 4.
    result = due(pause(PauseKind.HEARING, date(2026, 10, 28), nov(4)))
    assert (result.due, result.paused_days) == (dec(2), 2)


def test_pause_starting_after_the_clock_ran_out_changes_nothing() -> None:
    assert due(pause(PauseKind.APPRAISAL, dec(1), dec(4))) == due()


def test_pause_starting_on_the_due_day_moves_it() -> None:
    # 19 counted days before Nov 30; Nov 30 and Dec 1 paused; the 20th is Wed Dec 2.
    result = due(pause(PauseKind.BIDDING, nov(30), dec(1)))
    assert (result.due, result.paused_days) == (dec(2), 2)


def test_weekend_only_pause_changes_nothing() -> None:
    assert due(pause(PauseKind.AUCTION, nov(7), nov(8))) == due()


def test_open_pause_counts_up_to_today() -> None:
    open_pause = pause(PauseKind.INSPECTION, nov(9), None)
    with pytest.raises(ValueError, match="open"):
        due(open_pause)
    running = due(open_pause, today=nov(11))
    assert (running.due, running.paused_days, running.still_paused) == (dec(3), 3, True)
    # The due day only grows while the pause stays open.
    assert due(open_pause, today=nov(14)).due == dec(7)
    not_started = due(open_pause, today=nov(8))
    assert (not_started.due, not_started.still_paused) == (nov(30), False)


def test_extension_and_start_offset() -> None:
    assert due(extension_days=10).due == due(limit_days=30).due == dec(14)
    assert due(extension_days=10).extension_days == 10
    assert due(start_offset=2).due == dec(1)
    assert due(limit_days=0).due == NOV2


def test_provisional_when_the_count_reaches_an_unknown_year() -> None:
    late = compute_due(CAL, ClockInput(accepted_on=dec(1), limit_days=45))
    assert late.provisional
    assert not due().provisional


def test_input_validation() -> None:
    with pytest.raises(ValueError, match="ends"):
        pause(PauseKind.HEARING, nov(10), nov(9))
    with pytest.raises(ValueError):
        ClockInput(accepted_on=NOV2, limit_days=-1)
    with pytest.raises(ValueError):
        ClockInput(accepted_on=NOV2, limit_days=20, start_offset=0)
    coerced = Pause(kind="hearing", start=nov(9), end=None, notice_ref="x")  # type: ignore[arg-type]
    assert coerced.kind is PauseKind.HEARING


def test_clock_types_round_trip_through_the_project_converter() -> None:
    clock = ClockInput(
        accepted_on=NOV2, limit_days=45, pauses=(pause(PauseKind.TESTING, nov(9), None),)
    )
    converter = pydantic_data_converter.payload_converter
    payloads = converter.to_payloads([clock, due()])
    assert converter.from_payloads(payloads, [ClockInput, Deadline]) == [clock, due()]


def test_warning_dates_and_levels() -> None:
    # Promised Mon 2026-10-12: the working day before is the make-up Saturday Oct 10.
    promised, statutory = date(2026, 10, 12), date(2026, 10, 20)
    assert warning_dates(CAL, promised).yellow == date(2026, 10, 10)
    assert warning_dates(CAL, promised).red == date(2026, 10, 13)
    assert warning_dates(CAL, promised, yellow_days_before=2).yellow == date(2026, 10, 9)

    def level(day: int) -> str:
        return warning_level(date(2026, 10, day), promised, statutory, CAL)

    assert [level(d) for d in (9, 10, 12, 13, 20, 21)] == [
        "none",
        "yellow",
        "yellow",
        "red",
        "red",
        "breach",
    ]


def test_correction_notice_deadline_is_five_working_days() -> None:
    # Received Fri 2026-09-25: Sep 28, 29, 30, Oct 8, 9.
    assert correction_notice_deadline(CAL, date(2026, 9, 25)) == date(2026, 10, 9)


@pytest.mark.parametrize(
    ("accepted", "requested", "expected"),
    [
        (date(2026, 9, 25), None, date(2026, 9, 25)),  # on the spot
        (date(2026, 10, 9), None, date(2026, 10, 9)),  # accepted within the 5 days
        (date(2026, 10, 12), None, date(2026, 9, 25)),  # late, no notice: retroactive
        (date(2026, 10, 20), date(2026, 10, 9), date(2026, 10, 20)),  # timely notice
        (date(2026, 10, 20), date(2026, 10, 12), date(2026, 9, 25)),  # late notice
    ],
)
def test_effective_acceptance(accepted: date, requested: date | None, expected: date) -> None:
    assert effective_acceptance(date(2026, 9, 25), accepted, requested, CAL) == expected


def test_effective_acceptance_rejects_impossible_order() -> None:
    with pytest.raises(ValueError):
        effective_acceptance(date(2026, 9, 25), date(2026, 9, 24), None, CAL)


def test_statutory_figures() -> None:
    assert (default_statutory_limit(joint=True), extension_days(joint=True)) == (45, 15)
    assert (default_statutory_limit(joint=False), extension_days(joint=False)) == (20, 10)
