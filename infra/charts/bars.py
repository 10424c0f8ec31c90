"""Simple horizontal bar charts as inline SVG text, built by hand: a page can carry several
without matplotlib's ~100 ms per figure, and the browser draws them at any size.

Every label is XML-escaped; the SVG has a <title> per bar (its exact value) for screen readers
and hover, and scripts nothing, so the pages' Content-Security-Policy holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

COLOURS = ("#1565c0", "#e0b800", "#d93025", "#5c0a0a", "#34a853")
LEVEL_COLOURS = {"黄灯 Yellow": "#e0b800", "红灯 Red": "#d93025", "超法定 Breached": "#5c0a0a"}
ROW, BAR_GAP, LEFT, WIDTH, VALUE_W = 22, 2, 230, 720, 70


def _fmt(value: float | None, rate: bool) -> str:
    if value is None:
        return "—"
    if rate:
        return f"{value * 100:.1f}%"
    return f"{value:g}" if value == int(value) else f"{value:.2f}"


def bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    rate: bool = False,
) -> str:
    """One group of bars per label, one bar per series; ``rate``: values are 0–1, drawn on a
    0–100 % scale (else scaled to the largest value). A missing value draws no bar, "—"."""
    top = max((v for _, vs in series for v in vs if v is not None), default=0.0)
    scale = 1.0 if rate else (top or 1.0)
    span = WIDTH - LEFT - VALUE_W
    group = ROW * len(series) + 8
    legend = 20 if len(series) > 1 else 0
    height = 28 + legend + group * max(1, len(labels))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" style="max-width:{WIDTH}px">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (name, _) in enumerate(series if legend else ()):
        colour = LEVEL_COLOURS.get(name, COLOURS[i % len(COLOURS)])
        x = LEFT + i * 150
        out.append(f'<rect x="{x}" y="26" width="12" height="12" fill="{colour}"/>')
        out.append(f'<text x="{x + 16}" y="37" font-size="12">{escape(name)}</text>')
    for g, label in enumerate(labels):
        y0 = 28 + legend + g * group
        out.append(
            f'<text x="{LEFT - 6}" y="{y0 + ROW * len(series) / 2 + 4:.0f}" font-size="12" '
            f'text-anchor="end">{escape(label[:34])}</text>'
        )
        for i, (name, values) in enumerate(series):
            value = values[g]
            colour = LEVEL_COLOURS.get(name, COLOURS[i % len(COLOURS)])
            y = y0 + i * ROW
            w = 0.0 if value is None else max(0.0, min(1.0, value / scale)) * span
            text = _fmt(value, rate)
            out.append(
                f'<rect class="bar" x="{LEFT}" y="{y}" width="{w:.1f}" '
                f'height="{ROW - BAR_GAP * 2}" fill="{colour}">'
                f"<title>{escape(label)} · {escape(name)}: {text}</title></rect>"
            )
            out.append(
                f'<text x="{LEFT + w + 4:.1f}" y="{y + ROW - 8}" font-size="12">{text}</text>'
            )
    out.append("</svg>")
    return "\n".join(out)
