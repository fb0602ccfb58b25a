"""Small inline-SVG charts for the HTML report: no JavaScript, no network, no plotting library.

Each function returns one ``<svg>`` element as a string, sized by ``viewBox`` so that it
scales with the page. Every label goes through :func:`html.escape`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

PALETTE = ("#2563eb", "#f97316", "#16a34a", "#9333ea", "#dc2626", "#0891b2", "#ca8a04", "#4b5563")
MUTED = "#9ca3af"

Formatter = Callable[[float], str]


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def fmt_number(value: float) -> str:
    """1234567 -> "1.2M", 12345 -> "12.3k", 0.25 -> "0.25"."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    magnitude = abs(value)
    if magnitude >= 1e6:
        return f"{value / 1e6:.1f}M"
    if magnitude >= 1e4:
        return f"{value / 1e3:.1f}k"
    if magnitude >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.2f}"


def fmt_percent(value: float) -> str:
    return f"{100 * value:.0f}%"


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if not math.isfinite(low) or not math.isfinite(high):
        return [0.0, 1.0]
    if high <= low:
        high = low + 1.0
    raw = (high - low) / max(count, 1)
    power = 10 ** math.floor(math.log10(raw))
    step = min((m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw), default=10 * power)
    start = math.floor(low / step) * step
    ticks = []
    value = start
    while value <= high + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


@dataclass(frozen=True)
class Series:
    """One line of a line chart."""

    name: str
    x: Sequence[float]
    y: Sequence[float]
    color: str = PALETTE[0]
    dashed: bool = False
    points: bool = False


@dataclass(frozen=True)
class _Frame:
    width: int
    height: int
    left: int = 58
    right: int = 16
    top: int = 34
    bottom: int = 46

    @property
    def inner_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def inner_height(self) -> float:
        return self.height - self.top - self.bottom


def _open(frame: _Frame, title: str) -> list[str]:
    return [
        f'<svg class="chart" viewBox="0 0 {frame.width} {frame.height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{_esc(title)}">',
        f"<title>{_esc(title)}</title>",
        f'<text x="{frame.left}" y="18" class="chart-title">{_esc(title)}</text>',
    ]


def _legend(
    frame: _Frame, items: Sequence[tuple[str, str, bool]], *, corner: str = "top-left"
) -> list[str]:
    out = []
    widest = max((len(name) for name, _, _ in items), default=0)
    x = frame.left + 8
    if corner.endswith("right"):
        x = frame.left + frame.inner_width - 32 - widest * 6.2
    y = frame.top + 12
    if corner.startswith("bottom"):
        y = frame.top + frame.inner_height - 16 * len(items) + 6
    out.append(
        f'<rect x="{x - 4:.1f}" y="{y - 13:.1f}" width="{widest * 6.2 + 34:.1f}" '
        f'height="{16 * len(items) + 4}" class="legend-box"/>'
    )
    for name, color, dashed in items:
        dash = ' stroke-dasharray="5 3"' if dashed else ""
        out.append(
            f'<line x1="{x}" y1="{y - 4}" x2="{x + 18}" y2="{y - 4}" stroke="{color}" '
            f'stroke-width="2.5"{dash}/>'
        )
        out.append(f'<text x="{x + 24}" y="{y}" class="legend">{_esc(name)}</text>')
        y += 16
    return out


def line_chart(
    series: Sequence[Series],
    *,
    title: str,
    x_label: str,
    y_label: str,
    x_range: tuple[float, float] | None = None,
    y_range: tuple[float, float] | None = None,
    x_format: Formatter = fmt_number,
    y_format: Formatter = fmt_number,
    x_ticks: Sequence[float] | None = None,
    x_tick_labels: Sequence[str] | None = None,
    width: int = 560,
    height: int = 340,
    legend: bool = True,
    legend_corner: str = "top-left",
) -> str:
    """Lines (optionally with dots) on shared axes, with a legend."""
    frame = _Frame(width, height)
    xs = [x for s in series for x in s.x if x is not None and math.isfinite(x)]
    ys = [y for s in series for y in s.y if y is not None and math.isfinite(y)]
    x0, x1 = x_range or ((min(xs), max(xs)) if xs else (0.0, 1.0))
    y0, y1 = y_range or ((min(0.0, min(ys)), max(ys) * 1.05) if ys else (0.0, 1.0))
    if x1 == x0:
        x1 = x0 + 1
    if y1 == y0:
        y1 = y0 + 1

    def sx(x: float) -> float:
        return frame.left + (x - x0) / (x1 - x0) * frame.inner_width

    def sy(y: float) -> float:
        return frame.top + frame.inner_height - (y - y0) / (y1 - y0) * frame.inner_height

    out = _open(frame, title)
    out += _axes(
        frame,
        x_ticks=list(x_ticks) if x_ticks is not None else nice_ticks(x0, x1),
        x_tick_labels=x_tick_labels,
        y_ticks=nice_ticks(y0, y1),
        sx=sx,
        sy=sy,
        x_format=x_format,
        y_format=y_format,
        x_label=x_label,
        y_label=y_label,
        bounds=(x0, x1, y0, y1),
    )
    for s in series:
        points = [
            (sx(x), sy(y))
            for x, y in zip(s.x, s.y, strict=True)
            if x is not None and y is not None and math.isfinite(x) and math.isfinite(y)
        ]
        if not points:
            continue
        dash = ' stroke-dasharray="6 4"' if s.dashed else ""
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        out.append(
            f'<polyline fill="none" stroke="{s.color}" stroke-width="2.2"{dash} points="{path}">'
            f"<title>{_esc(s.name)}</title></polyline>"
        )
        if s.points:
            for x, y in points:
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.2" fill="{s.color}"/>')
    if legend:
        out += _legend(frame, [(s.name, s.color, s.dashed) for s in series], corner=legend_corner)
    out.append("</svg>")
    return "\n".join(out)


def _axes(
    frame: _Frame,
    *,
    x_ticks: Sequence[float],
    x_tick_labels: Sequence[str] | None,
    y_ticks: Sequence[float],
    sx: Callable[[float], float],
    sy: Callable[[float], float],
    x_format: Formatter,
    y_format: Formatter,
    x_label: str,
    y_label: str,
    bounds: tuple[float, float, float, float],
) -> list[str]:
    x0, x1, y0, y1 = bounds
    bottom = frame.top + frame.inner_height
    out = [
        f'<rect x="{frame.left}" y="{frame.top}" width="{frame.inner_width:.1f}" '
        f'height="{frame.inner_height:.1f}" class="plot-area"/>'
    ]
    for tick in y_ticks:
        if not y0 - 1e-12 <= tick <= y1 + 1e-12:
            continue
        y = sy(tick)
        out.append(
            f'<line x1="{frame.left}" y1="{y:.1f}" x2="{frame.left + frame.inner_width:.1f}" '
            f'y2="{y:.1f}" class="gridline"/>'
        )
        out.append(
            f'<text x="{frame.left - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">'
            f"{_esc(y_format(tick))}</text>"
        )
    labels = list(x_tick_labels) if x_tick_labels is not None else None
    for i, tick in enumerate(x_ticks):
        if not x0 - 1e-12 <= tick <= x1 + 1e-12:
            continue
        x = sx(tick)
        text = labels[i] if labels is not None else x_format(tick)
        out.append(
            f'<line x1="{x:.1f}" y1="{bottom}" x2="{x:.1f}" y2="{bottom + 4}" class="axis"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{bottom + 17}" class="tick" text-anchor="middle">'
            f"{_esc(text)}</text>"
        )
    out.append(
        f'<text x="{frame.left + frame.inner_width / 2:.1f}" y="{frame.height - 8}" '
        f'class="axis-label" text-anchor="middle">{_esc(x_label)}</text>'
    )
    out.append(
        f'<text transform="translate(14 {frame.top + frame.inner_height / 2:.1f}) rotate(-90)" '
        f'class="axis-label" text-anchor="middle">{_esc(y_label)}</text>'
    )
    return out


def bar_chart(
    categories: Sequence[str],
    groups: Sequence[tuple[str, Sequence[float], str]],
    *,
    title: str,
    y_label: str,
    x_label: str = "",
    y_format: Formatter = fmt_number,
    width: int = 560,
    height: int = 340,
    legend: bool = True,
    legend_corner: str = "top-right",
) -> str:
    """Vertical bars, one cluster per category, one bar per group ``(name, values, color)``."""
    frame = _Frame(width, height)
    values = [v for _, vs, _ in groups for v in vs if v is not None and math.isfinite(v)]
    y0 = min(0.0, min(values)) if values else 0.0
    y1 = max(values) * 1.1 if values and max(values) > 0 else 1.0
    n = max(len(categories), 1)
    slot = frame.inner_width / n
    bar = slot * 0.8 / max(len(groups), 1)

    def sy(y: float) -> float:
        return frame.top + frame.inner_height - (y - y0) / (y1 - y0) * frame.inner_height

    out = _open(frame, title)
    out += _axes(
        frame,
        x_ticks=[],
        x_tick_labels=None,
        y_ticks=nice_ticks(y0, y1),
        sx=lambda x: x,
        sy=sy,
        x_format=fmt_number,
        y_format=y_format,
        x_label=x_label,
        y_label=y_label,
        bounds=(0, 1, y0, y1),
    )
    bottom = frame.top + frame.inner_height
    step = max(1, math.ceil(n / 12))
    for i, category in enumerate(categories):
        left = frame.left + i * slot + slot * 0.1
        for j, (name, vs, color) in enumerate(groups):
            value = vs[i]
            if value is None or not math.isfinite(value):
                continue
            top = sy(max(value, 0.0))
            base = sy(min(value, 0.0))
            out.append(
                f'<rect x="{left + j * bar:.1f}" y="{top:.1f}" width="{bar * 0.92:.1f}" '
                f'height="{max(base - top, 0.5):.1f}" fill="{color}">'
                f"<title>{_esc(category)} — {_esc(name)}: {_esc(y_format(value))}</title></rect>"
            )
        if i % step == 0:
            out.append(
                f'<text x="{frame.left + (i + 0.5) * slot:.1f}" y="{bottom + 17}" '
                f'class="tick" text-anchor="middle">{_esc(_short(category))}</text>'
            )
    if legend and len(groups) > 1:
        out += _legend(
            frame, [(name, color, False) for name, _, color in groups], corner=legend_corner
        )
    out.append("</svg>")
    return "\n".join(out)


def hbar_chart(
    categories: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    value_format: Formatter = fmt_number,
    color: str = PALETTE[0],
    width: int = 560,
) -> str:
    """Horizontal bars with the value written at the end of each bar."""
    row = 26
    frame = _Frame(width, 40 + row * max(len(categories), 1) + 10, left=150, right=70, top=34)
    top_value = max([v for v in values if v is not None] + [1e-12])
    out = _open(frame, title)
    for i, (category, value) in enumerate(zip(categories, values, strict=True)):
        y = frame.top + i * row
        length = 0.0 if value is None else max(value, 0.0) / top_value * frame.inner_width
        out.append(
            f'<text x="{frame.left - 8}" y="{y + 16}" class="tick" text-anchor="end">'
            f"{_esc(_short(category, 24))}</text>"
        )
        out.append(
            f'<rect x="{frame.left}" y="{y + 4}" width="{length:.1f}" height="{row - 8}" '
            f'fill="{color}"><title>{_esc(category)}: {_esc(value_format(value))}</title></rect>'
        )
        out.append(
            f'<text x="{frame.left + length + 6:.1f}" y="{y + 16}" class="tick">'
            f"{_esc(value_format(value))}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)


def _short(text: str, limit: int = 14) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
