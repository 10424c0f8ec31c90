"""Public service statistics (办件公示): per matter, its limits and how last month's cases
were handled. Pure; from an efficiency report selected by the day cases were concluded.

Nothing about an applicant: only counts and averages per matter, and any figure made from
fewer than ``MIN_CASES`` cases is withheld (None), so no one case can be singled out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from domain.catalog import Catalog
from domain.library_figures import LibraryRow
from domain.report_model import SlaReport

MIN_CASES = 5


@dataclass(frozen=True)
class PublicMatterStats:
    """One matter; None: withheld (fewer than MIN_CASES cases behind it)."""

    code: str
    name: str
    promised_days: int
    statutory_days: int
    handled: int | None  # decided (granted or refused) in the period
    on_time_share: float | None  # on or before the promised due date / decided
    avg_working_days: float | None  # acceptance → decision, pauses excluded
    suppressed: bool


@dataclass(frozen=True)
class PublicStats:
    start: date
    end: date
    matters: tuple[PublicMatterStats, ...]
    min_cases: int = MIN_CASES
    # The center's materials library in the period (domain.library_figures): totals only, about
    # the center's practice, not any applicant.
    library: LibraryRow | None = None


def last_month(today: date) -> tuple[date, date]:
    """The first and last day of the calendar month before ``today``'s."""
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def _shown(n: int, value: float | None) -> float | None:
    return value if n >= MIN_CASES else None


def public_stats(
    catalog: Catalog, report: SlaReport, library: LibraryRow | None = None
) -> PublicStats:
    """Every matter of the catalog, with last month's figures where enough cases support them.

    Args:
        catalog: The matters and their limits.
        report: The efficiency report of cases concluded in the period (``by="concluded"``).
    """
    assert report.start is not None and report.end is not None
    rows = {r.key: r for r in report.matters}
    out = []
    for m in catalog.matters:
        r = rows.get(m.code)
        handled = r.concluded if r else 0
        settled = r.settled if r else 0
        out.append(
            PublicMatterStats(
                code=m.code,
                name=m.name,
                promised_days=m.promised_days,
                statutory_days=m.statutory_days,
                handled=handled if handled >= MIN_CASES else None,
                on_time_share=_shown(settled, r.on_time_rate if r else None),
                avg_working_days=_shown(handled, r.avg_working_days if r else None),
                suppressed=handled < MIN_CASES,
            )
        )
    return PublicStats(report.start, report.end, tuple(out), library=library)
