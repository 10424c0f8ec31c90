"""A case's timeline as a Gantt chart: each step a bar from its start to its end (or today),
coloured by its status, with a tick at its limit; non-working days shaded, the case's promised
and statutory due dates and "today" as lines across."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import matplotlib
from matplotlib import dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from domain.calendar import WorkingCalendar
from domain.case_timeline import Step, Timeline
from infra.charts.report import (
    BREACH,
    EARLY,
    INK,
    MUTED,
    ON_TIME,
    OVERDUE,
    PAUSE,
    RUNNING,
    Format,
    day_end,
    font_family,
    legend_handles,
    render,
)

# Time the center does not count: special procedures, and the applicant's corrections.
HATCHED = {"pause": PAUSE, "applicant": "#78909c"}
WARNING_COLORS = {"yellow": "#f9a825", "red": OVERDUE, "breach": BREACH}
COLORS = {
    "early": EARLY,
    "on_time": ON_TIME,
    "overdue": OVERDUE,
    "breach": BREACH,
    "running": RUNNING,
    "no_limit": MUTED,
    "cancelled": MUTED,
}


def num(day: date) -> float:
    """Matplotlib's x for the start of a day."""
    return float(mdates.date2num(day))


def _x_range(t: Timeline) -> tuple[date, date]:
    days = [t.as_of] + [s.start for s in t.steps]
    days += [d for s in t.steps for d in (s.end, s.due, s.hard_due) if d is not None]
    days += [d for d in (t.promised_due, t.statutory_due) if d is not None]
    return min(days) - timedelta(days=1), max(days) + timedelta(days=2)


def _shade_rest_days(ax: Axes, cal: WorkingCalendar, lo: date, hi: date) -> None:
    day = lo
    while day <= hi:
        if not cal.is_working_day(day):
            ax.axvspan(num(day), num(day_end(day)), color="#eceff1", zorder=0, lw=0)
        day += timedelta(days=1)


def _bar(ax: Axes, y: int, step: Step, today: date) -> None:
    end = num(day_end(step.end if step.end is not None else today))
    style: dict[str, Any]
    if step.kind in HATCHED:
        style = {"facecolor": "white", "edgecolor": HATCHED[step.kind], "hatch": "///"}
    else:
        # A running step is drawn lighter: its end is not known yet.
        style = {"color": COLORS[step.status], "alpha": 0.55 if step.end is None else 1.0}
    ax.barh(y, end - num(step.start), left=num(step.start), height=0.5, zorder=2, **style)
    paused = f" + {step.paused_days} paused" if step.paused_days else ""
    margin = "" if step.margin_days is None else _margin(step.margin_days)
    text = f"  {step.working_days} wd{paused}{margin}"
    ax.text(end, y, text, va="center", fontsize=8, color=INK)


def _margin(days: int) -> str:
    return f", {days} to spare" if days >= 0 else f", {-days} over"


def _limits(ax: Axes, y: int, step: Step) -> None:
    """The step's limit as a black tick at the end of its due day; the statutory one red."""
    limits: tuple[tuple[date | None, str, Any], ...] = (
        (step.due, INK, "solid"),
        (step.hard_due, BREACH, "dashed"),
    )
    for due, color, style in limits:
        if due is not None:
            ax.vlines(num(day_end(due)), y - 0.38, y + 0.38, colors=color, linestyles=style, lw=2.2)


def _top_label(ax: Axes, day: date, text: str, color: str) -> None:
    """A label above the plot at the end of `day`."""
    x = num(day_end(day))
    ax.annotate(
        text,
        (x, 1.0),
        xycoords=("data", "axes fraction"),
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        va="bottom",
        fontsize=8,
        color=color,
    )


def _case_lines(ax: Axes, t: Timeline) -> None:
    """The case's promised and statutory due dates and today, across every step."""
    lines = (
        (t.promised_due, OVERDUE, "--", "promised"),
        (t.statutory_due, BREACH, "--", "statutory"),
        (t.as_of, "#78909c", ":", "today"),
    )
    for day, color, style, label in lines:
        if day is not None:
            ax.axvline(num(day_end(day)), color=color, ls=style, lw=1.2, zorder=1)
            _top_label(ax, day, f"{label} {day:%m-%d}", color)


def _markers(ax: Axes, t: Timeline, y: int) -> None:
    """Warnings and the extension on their own row, labels alternately above and below."""
    for i, m in enumerate(sorted(t.markers, key=lambda m: m.on)):
        symbol, color = (
            ("v", WARNING_COLORS.get(m.label, BREACH)) if m.kind == "warning" else ("D", PAUSE)
        )
        x = num(m.on) + 0.5
        ax.plot([x], [y], marker=symbol, color=color, ms=8, zorder=3, ls="none")
        above = i % 2 == 0
        ax.annotate(
            m.label,
            (x, y),
            xytext=(0, 9 if above else -9),
            textcoords="offset points",
            ha="center",
            va="bottom" if above else "top",
            fontsize=7.5,
            color=INK,
        )


def _axes(ax: Axes, labels: list[str], lo: date, hi: date) -> None:
    ax.set_yticks(range(len(labels)), labels, fontsize=9)
    ax.set_ylim(len(labels) - 0.4, -0.6)
    ax.set_xlim(num(lo), num(hi))
    # Mondays while weeks are readable; the automatic choice for long cases.
    short = (hi - lo).days <= 120
    locator = mdates.WeekdayLocator(mdates.MO) if short else mdates.AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d\n%a"))
    ax.set_xlabel("calendar day (shaded: not a working day)")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#cfd8dc", lw=0.5, zorder=0)


def timeline_chart(t: Timeline, cal: WorkingCalendar, fmt: Format) -> bytes:
    """The case's steps against their limits, ready for a slide."""
    lo, hi = _x_range(t)
    with matplotlib.rc_context({"font.family": font_family()}):
        rows = len(t.steps) + (1 if t.markers else 0)
        fig = Figure(figsize=(13, 2.0 + 0.55 * rows), layout="constrained")
        ax = fig.subplots()
        _shade_rest_days(ax, cal, lo, hi)
        for y, step in enumerate(t.steps):
            _bar(ax, y, step, t.as_of)
            _limits(ax, y, step)
        _case_lines(ax, t)
        labels = [s.label for s in t.steps]
        if t.markers:
            labels.append("Warnings, extension")
            _markers(ax, t, len(labels) - 1)
        _axes(ax, labels, lo, hi)
        _titles(fig, ax, t)
        return render(fig, fmt)


def _titles(fig: Figure, ax: Axes, t: Timeline) -> None:
    outcome = f" ({t.outcome})" if t.outcome else ""
    fig.suptitle(
        f"Case {t.case_id} · {t.matter_code} · {t.status}{outcome}: each step against its limit",
        fontsize=13,
        weight="bold",
    )
    ax.set_title(
        f"as of {t.as_of.isoformat()} · bar: a step, wd = working days · black tick: the "
        "step's limit · red dashed tick: statutory limit",
        fontsize=9,
        color="#546e7a",
        loc="left",
        pad=16,
    )
    fig.legend(
        handles=legend_handles(), loc="outside lower center", fontsize=8, ncols=7, frameon=False
    )
