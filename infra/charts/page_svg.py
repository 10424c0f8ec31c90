"""Charts for the pages: inline SVG drawn by matplotlib's SVG backend.

The figure is cut to what it draws (`bbox_inches="tight"`), so no label is clipped however
long; text stays text (`svg.fonttype: none`, in the fonts matplotlib measured it with), so it
is readable by screen readers and scales with the page; the SVG has a `<title>` and scripts
nothing, so the pages' Content-Security-Policy holds. Ids are prefixed per chart: several
charts share one page's id space. The same chart is drawn once (an LRU cache), and one at a
time (matplotlib's settings are process-wide).
"""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from html import escape
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from infra.charts.fonts import font_family

COLOURS = ("#1565c0", "#e0b800", "#d93025", "#5c0a0a", "#34a853")
LEVEL_COLOURS = {"黄灯 Yellow": "#b38f00", "红灯 Red": "#d93025", "超法定 Breached": "#5c0a0a"}
INK, GRID = "#1b1f24", "#d8dce1"
WIDTH_IN = 9.0  # inches; the page scales the SVG to its column
Series = tuple[tuple[str, tuple[float | None, ...]], ...]
_lock = threading.Lock()


def _fmt(value: float | None, rate: bool) -> str:
    if value is None:
        return "—"
    if rate:
        return f"{value * 100:.1f}%"
    return f"{value:g}" if value == int(value) else f"{value:.2f}"


def _style() -> Any:
    return {
        "svg.fonttype": "none",
        "font.family": font_family(),
        "font.size": 10,
        "axes.edgecolor": GRID,
        "axes.labelcolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
    }


def _svg(fig: Figure, chart_id: str, title: str) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", pad_inches=0.08, metadata={"Date": None})
    return _inline(buf.getvalue(), chart_id, title)


def _inline(svg: str, chart_id: str, title: str) -> str:
    """matplotlib's SVG document as an element of the page: no prolog or metadata, ids
    prefixed, scaled to its column (the viewBox keeps the proportions), titled."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.DOTALL)
    svg = re.sub(r'id="([^"]+)"', rf'id="{chart_id}-\1"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", rf"url(#{chart_id}-\1)", svg)
    svg = re.sub(r'xlink:href="#([^"]+)"', rf'xlink:href="#{chart_id}-\1"', svg)
    head = re.match(r"<svg[^>]*>", svg)
    assert head is not None
    view_box = re.search(r'viewBox="([^"]+)"', head.group(0))
    assert view_box is not None
    width = float(view_box.group(1).split()[2])
    tag = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'class="chart" role="img" aria-labelledby="{chart_id}-title" id="{chart_id}" '
        f'viewBox="{view_box.group(1)}" width="100%" '
        f'style="max-width:{width * 4 / 3:.0f}px;height:auto" preserveAspectRatio="xMinYMin meet">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
    )
    return tag + svg[head.end() :]


def _frame(ax: Axes) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(length=0)
    ax.set_axisbelow(True)


@lru_cache(maxsize=64)
def bar_chart(
    chart_id: str, title: str, labels: tuple[str, ...], series: Series, rate: bool = False
) -> str:
    """Horizontal bars: one group per label, one bar per series, its value at its end;
    ``rate``: values 0–1 on a 0–100 % axis. A missing value draws no bar, "—"."""
    groups, per = max(1, len(labels)), max(1, len(series))
    height = 0.9 + groups * (0.26 * per + 0.16) + (0.3 if per > 1 else 0)
    with _lock, matplotlib.rc_context(_style()):
        fig = Figure(figsize=(WIDTH_IN, height))
        ax = fig.add_subplot()
        bar = 0.8 / per
        top = max((v for _, vs in series for v in vs if v is not None), default=0.0)
        limit = 1.0 if rate else (top or 1.0)
        for i, (name, values) in enumerate(series):
            colour = LEVEL_COLOURS.get(name, COLOURS[i % len(COLOURS)])
            ys = [g + (i - (per - 1) / 2) * bar for g in range(len(labels))]
            widths = [v or 0.0 for v in values]
            ax.barh(ys, widths, bar * 0.9, color=colour, label=name)
            for y, v in zip(ys, values, strict=True):
                ax.text((v or 0.0) + limit * 0.01, y, _fmt(v, rate), va="center", fontsize=9)
        ax.set_yticks(range(len(labels)), labels)
        ax.invert_yaxis()  # the table's order, top to bottom
        ax.set_xlim(0, limit * 1.12)
        # Each bar carries its value: no value axis (its tick labels were most of the time).
        ax.set_xticks([])
        ax.spines[["bottom"]].set_visible(False)
        if per > 1:
            ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=per, frameon=False)
        _frame(ax)
        return _svg(fig, chart_id, title)


@lru_cache(maxsize=32)
def trend_chart(
    chart_id: str,
    title: str,
    weeks: tuple[str, ...],
    volume: tuple[int, ...],
    on_time: tuple[float | None, ...],
    names: tuple[str, str],
) -> str:
    """Per week: volume as bars (left axis), the on-time rate as a line (right axis, 0–100 %;
    a week with no settled case has no point)."""
    with _lock, matplotlib.rc_context(_style()):
        fig = Figure(figsize=(WIDTH_IN, 3.4))
        ax = fig.add_subplot()
        xs = list(range(len(weeks)))
        # The bars as one collection of thick lines: a bar apiece (a patch with its own
        # transform and clip) cost a tenth of a second over two years of weeks.
        width = min(40.0, 0.6 * WIDTH_IN * 72 * 0.75 / max(1, len(weeks)))
        ax.vlines(xs, 0, volume, color=COLOURS[0], linewidth=width, label=names[0])
        ax.set_xlim(-0.6, len(weeks) - 0.4)
        ax.set_ylim(0, max(volume, default=0) * 1.1 or 1)
        # Few ticks: each tick label is most of a chart's drawing time.
        ax.yaxis.set_major_locator(MaxNLocator(4, integer=True))
        ax.set_ylabel(names[0])
        rate_ax = ax.twinx()
        rates = [float("nan") if r is None else r for r in on_time]
        rate_ax.plot(xs, rates, color=COLOURS[2], marker="o", linewidth=1.8, label=names[1])
        rate_ax.set_ylim(0, 1.05)
        rate_ax.set_yticks([0, 0.5, 1.0])
        rate_ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        rate_ax.set_ylabel(names[1])
        step = max(1, -(-len(weeks) // 9))  # at most ~9 week labels, never overlapping
        ax.set_xticks(xs[::step], [weeks[i] for i in xs[::step]], rotation=30, ha="right")
        ax.grid(axis="y", color=GRID, linewidth=0.6)
        handles = ax.get_legend_handles_labels()[0] + rate_ax.get_legend_handles_labels()[0]
        ax.legend(
            handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncols=2, frameon=False
        )
        for axis in (ax, rate_ax):
            axis.spines[["top"]].set_visible(False)
            axis.tick_params(length=0)
        return _svg(fig, chart_id, title)


def series_key(series: Sequence[tuple[str, Sequence[float | None]]]) -> Series:
    """Series in the hashable form the cached charts take."""
    return tuple((name, tuple(values)) for name, values in series)
