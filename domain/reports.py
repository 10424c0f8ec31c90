"""Efficiency report (docs/reports.md), per matter and per department.

Pure: SQL reduces 100,000 cases to conditional counts (:class:`Counts`; on PostgreSQL they
carry the working-day sums too, see :func:`working_day_ranks`) or, where SQL cannot rank days
(SQLite), to (start day, end day) pairs with a count (:class:`Span`). This module turns them
into rates and working-day averages with a :class:`WorkingCalendar` (O(1) per pair), and reads
the catalog for what depends on the matter (immediate kind, limits, materials).

Measures and their definitions (docs/reports.md says the same):

* ``cases``: applications submitted in the period (per department: review tasks of those cases).
* ``concluded``: decided cases (granted or refused); per department: decided tasks.
* ``on_time``: concluded on or before the promised due date (per department: the task's due
  date, which is the case's promised due).
* ``early``: concluded strictly before the promised due date (a subset of on time).
* ``overdue``: concluded after the promised due date, or still open (clock not paused) when
  "today" is past it: the red warning.
* ``breached``: the same against the statutory due date (incl. any extension): supervision.
* Rates share one denominator, ``settled = on_time + overdue``: every case whose result against
  the promise is known, so leaving a late case open does not flatter the rate.
* ``avg_working_days``: cases: working days from acceptance to conclusion minus working days in
  clock-stopping pauses (what the statutory clock counts); departments: working days from
  assignment to decision (elapsed: a pause of the case may fall outside the department's step).
* ``compression``: (Σ statutory − Σ promised) / Σ statutory over the matters of the row.
* ``immediate_share``: cases of matters of kind immediate (即办件) / cases.
* ``online_rate``: cases submitted online ("one network access") / cases.
* ``materials``: materials the catalog lists for the matter (mean over matters for the total).
* ``satisfaction``: ratings not bad / ratings; ``follow_up_rate``: bad ratings whose follow-up
  is resolved / bad ratings. Bad = ``BAD_RATINGS``.
* ``corrections``: corrections departments asked for during review (per department: its own);
  ``corrections_per_case`` over accepted cases (tasks); ``correction_notices``: notices the
  window sent at pre-review (Art. 32).

Not measurable yet (``NOT_MEASURED``): in-person visits per case (no visit is recorded; the
window channel says only that the submission was made in person).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import fields, replace
from datetime import date, timedelta
from typing import Any

from domain.calendar import WorkingCalendar
from domain.catalog import Catalog, Matter, MatterKind
from domain.report_model import (
    TOTAL,
    CaseCounts,
    CorrectionCounts,
    Counts,
    RatingCounts,
    SlaInput,
    SlaReport,
    SlaRow,
    Span,
)

# Fields a Counts carries into its row, and the ones a total adds up.
_COUNTED = tuple(f.name for f in fields(CaseCounts))
_ADDED = ("immediate", "rated", "bad_ratings", "followed_up", "corrections", "correction_notices")
_SUMMED = (*_COUNTED, *_ADDED)


def compression(matters: Iterable[Matter]) -> float | None:
    """(Σ statutory − Σ promised) / Σ statutory working days over ``matters``."""
    ms = list(matters)
    statutory = sum(m.statutory_days for m in ms)
    return (statutory - sum(m.promised_days for m in ms)) / statutory if statutory else None


def working_day_ranks(cal: WorkingCalendar, first: date, last: date) -> tuple[int, ...]:
    """``ranks[i]`` = working days in (first, first + i days], for i in 0 … (last − first):
    a lookup table SQL can subscript, so the database sums working days itself."""
    days = (last - first).days
    return tuple(
        cal.working_days_between(first, first + timedelta(days=i)) for i in range(days + 1)
    )


def day_totals(
    counts: Iterable[Counts], spans: Iterable[Span], cal: WorkingCalendar
) -> dict[str, tuple[int, int]]:
    """Per key: (counted working days of all its finished steps, number of such steps), from
    the sums SQL made (``Counts.days``) and from the pairs it grouped (``spans``). A step counts
    the working days in (start, end] minus its paused working days."""
    total: dict[str, int] = defaultdict(int)
    count: dict[str, int] = defaultdict(int)
    for c in counts:
        total[c.key] += c.days
        count[c.key] += c.timed
    between = cal.working_days_between  # tens of thousands of calls: skip the lookups
    for key, start, end, n, paused in spans:
        # A pause cannot make a step take less than nothing (clamped per group of equal steps).
        total[key] += max(0, between(start, end) * n - paused)
        count[key] += n
    return {k: (total[k], count[k]) for k in count}


def average_days(
    counts: Iterable[Counts], spans: Iterable[Span], cal: WorkingCalendar
) -> dict[str, float]:
    """Mean counted working days per key (see :func:`day_totals`)."""
    return {k: days / n for k, (days, n) in day_totals(counts, spans, cal).items() if n}


def _sum_by_key(counts: Iterable[Counts]) -> dict[str, Counts]:
    merged: dict[str, Counts] = {}
    for c in counts:
        merged[c.key] = merged[c.key] + c if c.key in merged else c
    return merged


def _immediate(counts: Iterable[Counts], catalog: Catalog) -> dict[str, int]:
    """Cases (or tasks) of immediate matters per key."""
    out: dict[str, int] = defaultdict(int)
    for c in counts:
        matter = catalog.matter(c.matter_code)
        if matter is not None and matter.kind is MatterKind.immediate:
            out[c.key] += c.cases
    return out


def _row(key: str, name: str, counts: Counts | None, **extra: Any) -> SlaRow:
    base = {f: getattr(counts, f) for f in _COUNTED} if counts else {}
    return replace(SlaRow(key=key, name=name, **base), **extra)


def _corrections(
    counts: Iterable[CorrectionCounts], key: Callable[[CorrectionCounts], Hashable]
) -> dict[Hashable, int]:
    out: dict[Hashable, int] = defaultdict(int)
    for c in counts:
        out[key(c)] += c.n
    return out


def _ratings_by_matter(ratings: Iterable[RatingCounts]) -> Mapping[str, RatingCounts]:
    return {r.matter_code: r for r in ratings}


def _per_key(
    counts: tuple[Counts, ...], spans: tuple[Span, ...], catalog: Catalog, cal: WorkingCalendar
) -> tuple[dict[str, Counts], dict[str, float], dict[str, int]]:
    """Per key (matter or department): the summed counts, the mean working days, and how many
    were of immediate matters."""
    return _sum_by_key(counts), average_days(counts, spans, cal), _immediate(counts, catalog)


def matter_rows(
    catalog: Catalog, scope: list[Matter], data: SlaInput, cal: WorkingCalendar
) -> list[SlaRow]:
    """One row per matter in scope, plus any matter found in the data but not the catalog."""
    counts, days, immediate = _per_key(data.case_counts, data.case_spans, catalog, cal)
    ratings = _ratings_by_matter(data.ratings)
    asked = _corrections(data.corrections, lambda c: (c.matter_code, c.department is not None))
    codes = [m.code for m in scope] + sorted(set(counts) - {m.code for m in scope})
    rows = []
    for code in codes:
        matter = catalog.matter(code)
        r = ratings.get(code, RatingCounts(code, 0, 0, 0))
        rows.append(
            _row(
                code,
                matter.name if matter else code,
                counts.get(code),
                immediate=immediate.get(code, 0),
                avg_working_days=days.get(code),
                compression=compression([matter]) if matter else None,
                materials=float(len(matter.materials)) if matter else None,
                promised_days=matter.promised_days if matter else None,
                rated=r.rated,
                bad_ratings=r.bad,
                followed_up=r.followed_up,
                corrections=asked.get((code, True), 0),
                correction_notices=asked.get((code, False), 0),
            )
        )
    return rows


def department_rows(
    catalog: Catalog, scope: list[Matter], data: SlaInput, cal: WorkingCalendar
) -> list[SlaRow]:
    """One row per department reviewing a matter in scope or found in the task data."""
    counts, days, immediate = _per_key(data.task_counts, data.task_spans, catalog, cal)
    in_scope = {d.code for m in scope for d in m.departments}
    asked = _corrections(data.corrections, lambda c: c.department)
    rows = []
    for code in sorted(in_scope | set(counts)):
        reviewed = [m for m in scope if m.department(code) is not None]
        rows.append(
            _row(
                code,
                catalog.departments.get(code, code),
                counts.get(code),
                immediate=immediate.get(code, 0),
                avg_working_days=days.get(code),
                compression=compression(reviewed),
                corrections=asked.get(code, 0),
            )
        )
    return rows


def total_row(
    scope: list[Matter], matters: list[SlaRow], data: SlaInput, cal: WorkingCalendar
) -> SlaRow:
    """The whole center (or the one matter asked for): sums, and averages over every case."""
    summed = {f: sum(getattr(r, f) for r in matters) for f in _SUMMED}
    totals = day_totals(data.case_counts, data.case_spans, cal).values()
    days, n = sum(t[0] for t in totals), sum(t[1] for t in totals)
    listed = [len(m.materials) for m in scope]
    return SlaRow(
        key=TOTAL,
        name="All matters",
        **summed,
        avg_working_days=days / n if n else None,
        compression=compression(scope),
        materials=sum(listed) / len(listed) if listed else None,
    )


def build_sla_report(
    catalog: Catalog,
    data: SlaInput,
    cal: WorkingCalendar,
    *,
    as_of: date,
    start: date | None = None,
    end: date | None = None,
    matter: str | None = None,
    department: str | None = None,
) -> SlaReport:
    """Assemble the report; ``department`` scopes it to that department's own row.

    Args:
        catalog: The matters catalog (kind, limits, materials, reviewing departments).
        data: Counts and spans read for the period (and department, when scoped).
        cal: Working calendar for the averages.
        as_of: The "today" the store used for open cases past their due dates.
        start: First day of the period (inclusive), if any.
        end: Last day of the period (inclusive), if any.
        matter: The one matter reported on, if any.
        department: Only this department's row (a department's own staff reading).
    """
    scope = [m for m in catalog.matters if matter is None or m.code == matter]
    departments = department_rows(catalog, scope, data, cal)
    if department is not None:
        mine = tuple(r for r in departments if r.key == department)
        return SlaReport(as_of, start, end, matter, department, (), mine, None)
    matters = matter_rows(catalog, scope, data, cal)
    total = total_row(scope, matters, data, cal)
    return SlaReport(as_of, start, end, matter, None, tuple(matters), tuple(departments), total)
