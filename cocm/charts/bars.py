"""Bar charts as inline SVG, drawn on the server: monthly trends for the quality dashboard.

``bar_chart`` is a pure function from labelled values to an SVG string, like ``trend_svg``:
no chart script, readable in print and in greyscale (every bar carries its value as text, and
series differ by pattern of fill and outline, not by colour alone). The SVG has <title> and
<desc> named by ``aria-labelledby``, each bar its own <title>; pages show the same numbers in a
table next to it. Only presentation attributes are used, so a strict CSP allows it.

Optional ``bands`` shade value ranges behind the bars (the published caseload guidance).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

INK = "#1d2430"
MUTED = "#5b6575"
GRID = "#c9d0db"
# Fills that stay apart in greyscale print: dark solid, light with a dark outline, mid grey.
SERIES_STYLES = (
    ("#1f5fbf", "#1f5fbf"),
    ("#c7d7fe", "#1f5fbf"),
    ("#8a94a6", "#5b6575"),
    ("#fde6d2", "#b54708"),
)
BAND_FILLS = ("#eaf5ec", "#fdf3d8", "#eef1f5")


@dataclass(frozen=True)
class Series:
    """One set of bars: a value per label (None where there is nothing to show)."""

    name: str
    values: Sequence[float | None]


@dataclass(frozen=True)
class Band:
    """A shaded value range behind the bars, e.g. 50-80 for a caseload guidance."""

    low: float
    high: float
    label: str


@dataclass(frozen=True)
class BarBox:
    width: int = 520
    height: int = 220
    left: int = 40
    right: int = 12
    top: int = 16
    bottom: int = 34
    legend: int = 18

    def plot_height(self, with_legend: bool) -> float:
        return self.height - self.top - self.bottom - (self.legend if with_legend else 0)

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def percent(value: float) -> str:
    """The default value format: '62%'."""
    return f"{round(value)}%"


def nice_max(value: float) -> float:
    """A round top for the axis at or above ``value`` (1, 2, 2.5 or 5 times a power of 10)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop always returns


def _steps(top: float) -> int:
    """Grid intervals that land on round values: 5 for 1, 2.5 or 5 times a power of ten."""
    power = 10 ** math.floor(math.log10(top)) if top > 0 else 1
    return 4 if round(top / power, 6) == 2 else 5


def describe_bars(
    labels: Sequence[str], series: Sequence[Series], fmt: Callable[[float], str]
) -> str:
    """A sentence for screen readers: every series' values in label order."""
    if not labels:
        return "No data."
    parts = []
    for s in series:
        values = ", ".join(
            f"{label} {fmt(v) if v is not None else 'no data'}"
            for label, v in zip(labels, s.values, strict=False)
        )
        parts.append(f"{s.name}: {values}.")
    return " ".join(parts)


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    element_id: str,
    max_value: float | None = None,
    fmt: Callable[[float], str] = percent,
    bands: Sequence[Band] = (),
    box: BarBox | None = None,
) -> str:
    """Grouped vertical bars: one group per label, one bar per series.

    ``max_value`` fixes the top of the axis (100 for percentages); by default it is a round
    number above the largest value or band. ``element_id`` must be unique on the page; it
    prefixes the ids of <title> and <desc>.
    """
    box = box or BarBox()
    for s in series:
        if len(s.values) != len(labels):
            raise ValueError(
                f"series {s.name!r} has {len(s.values)} values for {len(labels)} labels"
            )
    with_legend = len(series) > 1
    plot_height = box.plot_height(with_legend)
    present = [v for s in series for v in s.values if v is not None]
    top_value = max_value or nice_max(max([*present, *(b.high for b in bands), 0.0]))
    title_id, desc_id = f"{element_id}-title", f"{element_id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {box.width} {box.height}" '
        f'width="{box.width}" height="{box.height}" role="img" id={quoteattr(element_id)} '
        f'aria-labelledby="{title_id} {desc_id}" font-family="system-ui, sans-serif" '
        f'font-size="11">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(describe_bars(labels, series, fmt))}</desc>',
    ]
    base_y = box.top + plot_height

    def y(value: float) -> float:
        return base_y - plot_height * min(max(value, 0.0), top_value) / top_value

    for index, band in enumerate(bands):
        top, bottom = y(band.high), y(band.low)
        parts.append(
            f'<rect x="{box.left}" y="{_num(top)}" width="{_num(box.plot_width)}" '
            f'height="{_num(bottom - top)}" fill="{BAND_FILLS[index % len(BAND_FILLS)]}"/>'
        )
        parts.append(
            f'<text x="{_num(box.left + box.plot_width - 4)}" y="{_num(top + 11)}" '
            f'text-anchor="end" fill="{MUTED}">{escape(band.label)}</text>'
        )
    steps = _steps(top_value)
    for step in range(steps + 1):
        value = top_value * step / steps
        line_y = _num(y(value))
        parts.append(
            f'<line x1="{box.left}" x2="{_num(box.left + box.plot_width)}" y1="{line_y}" '
            f'y2="{line_y}" stroke="{GRID}" stroke-width="1"/>'
        )
        if present:
            tick = fmt(value) if value == int(value) else _num(value)
            parts.append(
                f'<text x="{box.left - 5}" y="{_num(y(value) + 4)}" text-anchor="end" '
                f'fill="{MUTED}">{escape(tick)}</text>'
            )

    if labels and series and present:
        group = box.plot_width / len(labels)
        bar = min(36.0, group * 0.8 / len(series))
        for g, label in enumerate(labels):
            centre = box.left + group * (g + 0.5)
            first_x = centre - bar * len(series) / 2
            for n, s in enumerate(series):
                value = s.values[g]
                bx = first_x + n * bar
                fill, stroke = SERIES_STYLES[n % len(SERIES_STYLES)]
                if value is None:
                    parts.append(
                        f'<text x="{_num(bx + bar / 2)}" y="{_num(base_y - 4)}" '
                        f'text-anchor="middle" fill="{MUTED}">–<title>'
                        f"{escape(f'{s.name}, {label}: no data')}</title></text>"
                    )
                    continue
                top = y(value)
                parts.append(
                    f'<rect x="{_num(bx + 1)}" y="{_num(top)}" width="{_num(bar - 2)}" '
                    f'height="{_num(base_y - top)}" fill="{fill}" stroke="{stroke}">'
                    f"<title>{escape(f'{s.name}, {label}: {fmt(value)}')}</title></rect>"
                )
                parts.append(
                    f'<text x="{_num(bx + bar / 2)}" y="{_num(top - 3)}" text-anchor="middle" '
                    f'fill="{INK}" font-size="10">{escape(fmt(value))}</text>'
                )
            parts.append(
                f'<text x="{_num(centre)}" y="{_num(base_y + 15)}" text-anchor="middle" '
                f'fill="{MUTED}">{escape(label)}</text>'
            )
    else:
        parts.append(
            f'<text x="{_num(box.left + box.plot_width / 2)}" y="{_num(box.top + plot_height / 2)}"'
            f' text-anchor="middle" fill="{INK}">No data in these months</text>'
        )
    parts.append(
        f'<line x1="{box.left}" x2="{_num(box.left + box.plot_width)}" y1="{_num(base_y)}" '
        f'y2="{_num(base_y)}" stroke="{MUTED}"/>'
    )
    if with_legend:
        legend_y = box.height - 6
        x = float(box.left)
        for n, s in enumerate(series):
            fill, stroke = SERIES_STYLES[n % len(SERIES_STYLES)]
            parts.append(
                f'<rect x="{_num(x)}" y="{_num(legend_y - 9)}" width="10" height="10" '
                f'fill="{fill}" stroke="{stroke}"/>'
            )
            parts.append(
                f'<text x="{_num(x + 14)}" y="{_num(legend_y)}" fill="{INK}">'
                f"{escape(s.name)}</text>"
            )
            x += 24 + 6.2 * len(s.name)
    parts.append("</svg>")
    return "".join(parts)
