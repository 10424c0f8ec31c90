"""Charts of the reports for a supervisor's slide: PNG or SVG bytes from matplotlib (Agg).

Figures are built with the object API (no pyplot state), so the API can render them in worker
threads side by side. Labels are English and department codes: a CJK font is used for the
catalog's Chinese names only when the machine has one (`fc-list :lang=zh`).
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Literal

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from domain.report_model import SlaReport, SlaRow
from infra.charts.fonts import cjk_font, font_family
from infra.charts.formats import Format

EARLY, ON_TIME, OVERDUE, BREACH = "#1b5e20", "#66bb6a", "#e65100", "#b71c1c"
RUNNING, MUTED, PAUSE, INK = "#1565c0", "#bdbdbd", "#7e57c2", "#263238"


def render(fig: Figure, fmt: Format) -> bytes:
    """The figure as PNG (150 dpi, slide-sized) or SVG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=150, bbox_inches="tight", facecolor="white")
    return buf.getvalue()


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _is_cjk(ch: str) -> bool:
    return ord(ch) >= 0x2E80


def chart_name(name: str) -> str:
    """The Chinese part of a bilingual catalog name when a CJK font renders it, else the rest
    ("消防救援支队 Fire & Rescue" → "消防救援支队" or "Fire & Rescue")."""
    chinese = "".join(ch for ch in name if _is_cjk(ch)).strip()
    latin = "".join(ch for ch in name if not _is_cjk(ch)).strip()
    return (chinese if cjk_font() and chinese else latin) or name


def label_of(row: SlaRow) -> str:
    """Code on the first line, the name below (at most three short lines)."""
    name = chart_name(row.name)
    return row.key if name == row.key else f"{row.key}\n{wrap(name, 18)}"


def wrap(text: str, width: int, lines: int = 3) -> str:
    """Wrap on spaces; text without spaces (Chinese) every `width // 2` characters."""
    if " " not in text:
        head, paren, tail = text.partition("（")
        if paren and len(head) <= width // 2:
            return f"{head}\n{paren}{tail}"  # 工业项目建设许可 / （一件事）
        rows = min(lines, -(-len(text) // (width // 2)))
        step = -(-len(text) // rows)  # balanced lines, not a long one and a stub
        return "\n".join(text[i : i + step] for i in range(0, len(text), step))
    out, line = [], ""
    for word in text.split():
        if line and len(line) + len(word) + 1 > width:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*out, line][:lines])


def _stacked_bars(ax: Axes, rows: list[SlaRow]) -> None:
    """Early / on time / overdue / in progress per row, the on-time rate above each bar."""
    xs = list(range(len(rows)))
    layers = [
        ("Early (before promised date)", EARLY, [r.early for r in rows]),
        ("On time", ON_TIME, [r.on_time - r.early for r in rows]),
        ("Overdue", OVERDUE, [r.overdue for r in rows]),
        ("In progress, not yet due", MUTED, [r.open_not_due for r in rows]),
    ]
    bottom = [0] * len(rows)
    for name, color, values in layers:
        ax.bar(xs, values, 0.62, bottom=bottom, color=color, label=name, edgecolor="white")
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    top = max(bottom, default=0) or 1
    for x, r, height in zip(xs, rows, bottom, strict=True):
        text = f"{pct(r.on_time_rate)} on time" if r.settled else "no result yet"
        ax.text(x, height + top * 0.02, text, ha="center", va="bottom", fontsize=9, color=INK)
    ax.set_ylim(0, top * 1.28)  # room for the rates and the legend
    pad = max(0.0, (4 - len(rows)) / 2)  # a lone bar keeps a bar's width, centred
    ax.set_xlim(-0.6 - pad, len(rows) - 0.4 + pad)
    ax.set_xticks(xs, [label_of(r) for r in rows], fontsize=8)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.legend(loc="upper left", fontsize=8, frameon=False, ncols=4)
    ax.spines[["top", "right"]].set_visible(False)


def _average_days(ax: Axes, rows: list[SlaRow]) -> None:
    """Average working days per row; a matter's promised limit as a black tick beside it."""
    ys = list(range(len(rows)))[::-1]
    values = [r.avg_working_days or 0.0 for r in rows]
    ax.barh(ys, values, 0.55, color=RUNNING)
    widest = max(values, default=0.0)
    for y, r, v in zip(ys, rows, values, strict=True):
        text = "–" if r.avg_working_days is None else f"{v:.1f}"
        # Inside the bar when it is long enough, so a limit tick beside it never hides it.
        inside = v > widest * 0.25
        ha, color = ("right", "white") if inside else ("left", INK)
        ax.text(v, y, f" {text} ", ha=ha, va="center", fontsize=9, weight="bold", color=color)
        if r.promised_days is not None:
            ax.vlines(r.promised_days, y - 0.38, y + 0.38, colors=INK, lw=2.2)
    limits = [float(r.promised_days or 0) for r in rows]
    ax.set_yticks(ys, [r.key for r in rows], fontsize=9)
    ax.set_xlim(0, max(values + limits, default=0) * 1.2 or 1)
    ax.spines[["top", "right"]].set_visible(False)


def _period(report: SlaReport) -> str:
    start, end = report.start, report.end
    if start and end:
        period = f"cases submitted {start.isoformat()} to {end.isoformat()}"
    elif start or end:
        period = f"cases submitted {'from ' + str(start) if start else 'up to ' + str(end)}"
    else:
        period = "all cases"
    scope = f" · matter {report.matter}" if report.matter else ""
    return f"{period}{scope} · as of {report.as_of.isoformat()}"


def _summary(row: SlaRow | None) -> str:
    if row is None:
        return ""
    days = "–" if row.avg_working_days is None else f"{row.avg_working_days:.1f}"
    return (
        f"{row.cases:,} cases · on time {pct(row.on_time_rate)} · early {pct(row.early_rate)}"
        f" · overdue {row.overdue:,} ({pct(row.overdue_rate)}) · avg {days} working days"
        f" · online {pct(row.online_rate)} · compression {pct(row.compression)}"
    )


def _titles(fig: Figure, left: Axes, right: Axes, report: SlaReport, by: str) -> None:
    if by == "department":
        what, unit, span = "Review tasks by department", "review tasks", "assignment → decision"
    else:
        what, unit, span = "Cases by matter", "cases", "acceptance → decision, pauses excluded"
        right.set_title("black tick: promised limit", fontsize=8, color="#546e7a", loc="right")
    fig.suptitle(f"{what} against the promised time limit", fontsize=15, weight="bold")
    left.set_title(_period(report), fontsize=9, color="#546e7a", loc="left")
    left.set_ylabel(unit)
    right.set_xlabel(f"average working days ({span})")


def sla_chart(report: SlaReport, by: Literal["department", "matter"], fmt: Format) -> bytes:
    """One bar per department (or matter): results against the promised date, and speed."""
    rows = list(report.departments if by == "department" else report.matters)
    with matplotlib.rc_context({"font.family": font_family()}):
        fig = Figure(figsize=(13, 6.2), layout="constrained")
        left, right = fig.subplots(1, 2, width_ratios=[2.3, 1])
        _stacked_bars(left, rows)
        _average_days(right, rows)
        _titles(fig, left, right, report, by)
        if report.total is not None:
            fig.supxlabel(_summary(report.total), fontsize=9, color=INK)
        return render(fig, fmt)


def legend_handles() -> list[Patch]:
    """The timeline's colours, for its legend."""
    return [
        Patch(color=EARLY, label="early"),
        Patch(color=ON_TIME, label="on time"),
        Patch(color=OVERDUE, label="overdue"),
        Patch(color=BREACH, label="statutory breach"),
        Patch(color=RUNNING, label="running"),
        Patch(facecolor="white", edgecolor=PAUSE, hatch="///", label="special procedure"),
        Patch(facecolor="white", edgecolor="#78909c", hatch="///", label="applicant's time"),
    ]


def day_end(day: date) -> date:
    """Bars and limits are drawn to the end of their day."""
    return day + timedelta(days=1)
