"""KPI thresholds (domain.kpi): which floors a matter's figures fall below."""

from __future__ import annotations

from datetime import date

from domain.kpi import Threshold, breaches, period_start, row_key
from domain.report_model import SlaRow

TODAY = date(2026, 12, 10)  # a Thursday


def test_the_period_starts_on_monday_or_the_first() -> None:
    assert period_start("week", TODAY) == date(2026, 12, 7)
    assert period_start("month", TODAY) == date(2026, 12, 1)


def test_a_rate_below_its_floor_is_a_breach_and_at_the_floor_is_not() -> None:
    late = Threshold("IND-CONSTRUCTION", "on_time_rate", 0.95)
    met = Threshold("OUTDOOR-AD", "on_time_rate", 0.95)
    rows = {
        row_key(late): SlaRow("IND-CONSTRUCTION", "c", on_time=18, overdue=2),  # 90 %
        row_key(met): SlaRow("OUTDOOR-AD", "o", on_time=19, overdue=1),  # 95 %
    }
    (found,) = breaches([late, met], rows, TODAY)
    assert found.threshold == late and found.value == 0.9 and found.out_of == 20
    assert found.fingerprint == "kpi:IND-CONSTRUCTION:on_time_rate"
    assert "90.0%" in found.summary and "95.0%" in found.summary and "2026-12-07" in found.summary


def test_too_few_cases_or_no_figure_raise_nothing() -> None:
    few = Threshold("IND-CONSTRUCTION", "satisfaction", 0.9, "month", min_cases=10)
    none = Threshold("OUTDOOR-AD", "online_rate", 0.5)
    unknown = Threshold("OUTDOOR-AD", "no_such_kpi", 0.5)
    rows = {
        row_key(few): SlaRow("IND-CONSTRUCTION", "c", rated=5, bad_ratings=5),
        row_key(none): SlaRow("OUTDOOR-AD", "o", cases=0),
    }
    assert breaches([few, none, unknown], rows, TODAY) == []
    assert breaches([few], {row_key(few): SlaRow("x", "x", rated=10, bad_ratings=5)}, TODAY)


def test_each_kpi_reads_the_cases_it_is_about() -> None:
    assert row_key(Threshold("M", "on_time_rate", 0.9))[1] == "concluded"
    assert row_key(Threshold("M", "online_rate", 0.9, "month")) == ("month", "submitted", "M")
