"""A score trend as inline SVG, drawn on the server: no chart script, readable in print.

``trend_svg`` is a pure function from points to an SVG string. The severity bands are drawn
behind the line, each labelled, so the picture reads without colour. The SVG carries <title> and
<desc> (named by ``aria-labelledby``) and every point has its own <title>; pages show the same
numbers in a data table next to it. Only presentation attributes are used (no ``style``), so a
strict Content-Security-Policy allows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from xml.sax.saxutils import escape, quoteattr

# Light fills that stay distinct in greyscale print, from minimal to severe; a band is filled by
# its severity name, so "severe" looks the same on PHQ-9 and GAD-7.
BAND_FILLS = {
    "minimal": "#eaf5ec",
    "mild": "#f6f8e6",
    "moderate": "#fdf3d8",
    "moderately severe": "#fde6d2",
    "severe": "#fbdcd9",
}
OTHER_FILLS = ("#eef1f5", "#e3e7ee")
LINE = "#1f5fbf"
INK = "#1d2430"
MUTED = "#5b6575"
GRID = "#c9d0db"


@dataclass(frozen=True)
class BandSpec:
    """An inclusive total range and its name (e.g. 10-14 moderate)."""

    low: int
    high: int
    label: str


@dataclass(frozen=True)
class Box:
    width: int = 600
    height: int = 230
    left: int = 34
    right: int = 158
    top: int = 12
    bottom: int = 30

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom


def _day(when: date | datetime) -> date:
    return when.date() if isinstance(when, datetime) else when


def _position(when: date | datetime) -> float:
    if isinstance(when, datetime):
        seconds = when.hour * 3600 + when.minute * 60 + when.second
        return when.toordinal() + seconds / 86400
    return float(when.toordinal())


def _label(day: date, with_year: bool) -> str:
    return f"{day:%b} {day.day}, {day.year}" if with_year else f"{day:%b} {day.day}"


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _ticks(first: date, last: date, days: list[date]) -> list[date]:
    unique = sorted(set(days))
    if len(unique) <= 6:
        return unique
    span = (last - first).days
    if span >= 75:
        month = date(first.year, first.month, 1)
        ticks = []
        while month <= last:
            if month >= first:
                ticks.append(month)
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        step = max(1, len(ticks) // 6 + (len(ticks) % 6 > 0))
        return ticks[::step] or [first, last]
    step = max(7, span // 5)
    return [first + timedelta(days=step * n) for n in range(span // step + 1)]


def severity_of(total: int, bands: Sequence[BandSpec]) -> str | None:
    for band in bands:
        if band.low <= total <= band.high:
            return band.label
    return None


def describe(name: str, points: Sequence[tuple[date | datetime, int]], bands) -> str:
    """A sentence for screen readers: first and last score, and how many."""
    done = sorted(points, key=lambda p: _position(p[0]))
    if not done:
        return f"No complete {name} scores yet."
    (first_when, first), (last_when, last) = done[0], done[-1]
    first_day, last_day = _day(first_when), _day(last_when)
    if len(done) == 1:
        return (
            f"One {name} score: {first} ({severity_of(first, bands)}) on {_label(first_day, True)}."
        )
    return (
        f"{len(done)} {name} scores, from {first} ({severity_of(first, bands)}) on "
        f"{_label(first_day, True)} to {last} ({severity_of(last, bands)}) on "
        f"{_label(last_day, True)}."
    )


def trend_svg(
    points: Sequence[tuple[date | datetime, int]],
    *,
    name: str,
    max_total: int,
    bands: Sequence[BandSpec],
    element_id: str,
    box: Box | None = None,
) -> str:
    """An SVG line chart of ``points`` ((when, total), any order) over ``bands``.

    ``element_id`` must be unique on the page; it prefixes the ids of <title> and <desc>.
    """
    box = box or Box()
    done = sorted(points, key=lambda p: _position(p[0]))
    title_id, desc_id = f"{element_id}-title", f"{element_id}-desc"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {box.width} {box.height}" '
        f'width="{box.width}" height="{box.height}" role="img" id={quoteattr(element_id)} '
        f'aria-labelledby="{title_id} {desc_id}" font-family="system-ui, sans-serif" '
        f'font-size="11">',
        f'<title id="{title_id}">{escape(name)} trend</title>',
        f'<desc id="{desc_id}">{escape(describe(name, done, bands))}</desc>',
    ]

    def y(total: float) -> float:
        return box.top + box.plot_height * (1 - total / max_total)

    # Bands behind everything, labelled at the right so they read in black and white.
    for index, band in enumerate(bands):
        top, bottom = y(min(band.high + 1, max_total)), y(band.low)
        fill = BAND_FILLS.get(band.label, OTHER_FILLS[index % 2])
        parts.append(
            f'<rect x="{box.left}" y="{_num(top)}" width="{_num(box.plot_width)}" '
            f'height="{_num(bottom - top)}" fill="{fill}"/>'
        )
        parts.append(
            f'<text x="{_num(box.left + box.plot_width + 6)}" y="{_num((top + bottom) / 2 + 4)}" '
            f'fill="{MUTED}">{escape(band.label)} ({band.low}–{band.high})</text>'
        )
    for band in bands:
        if band.low > 0:
            line_y = _num(y(band.low))
            parts.append(
                f'<line x1="{box.left}" x2="{_num(box.left + box.plot_width)}" y1="{line_y}" '
                f'y2="{line_y}" stroke="{GRID}" stroke-width="1"/>'
            )
            parts.append(
                f'<text x="{box.left - 5}" y="{_num(y(band.low) + 4)}" text-anchor="end" '
                f'fill="{MUTED}">{band.low}</text>'
            )
    parts.append(
        f'<text x="{box.left - 5}" y="{_num(y(0) + 4)}" text-anchor="end" fill="{MUTED}">0</text>'
    )
    parts.append(
        f'<rect x="{box.left}" y="{box.top}" width="{_num(box.plot_width)}" '
        f'height="{_num(box.plot_height)}" fill="none" stroke="{GRID}"/>'
    )

    if not done:
        cx, cy = _num(box.left + box.plot_width / 2), _num(box.top + box.plot_height / 2)
        parts.append(
            f'<text x="{cx}" y="{cy}" text-anchor="middle" fill="{INK}">'
            "No complete scores yet</text>"
        )
        parts.append("</svg>")
        return "".join(parts)

    start, end = _position(done[0][0]), _position(done[-1][0])
    pad = max(3.0, (end - start) * 0.04)
    start, end = start - pad, end + pad

    def x(when: date | datetime) -> float:
        return box.left + box.plot_width * (_position(when) - start) / (end - start)

    days = [_day(w) for w, _ in done]
    with_year = days[0].year != days[-1].year
    for tick in _ticks(days[0], days[-1], days):
        tx = _num(x(tick))
        parts.append(
            f'<line x1="{tx}" x2="{tx}" y1="{_num(y(0))}" y2="{_num(y(0) + 4)}" stroke="{MUTED}"/>'
        )
        parts.append(
            f'<text x="{tx}" y="{_num(y(0) + 16)}" text-anchor="middle" fill="{MUTED}">'
            f"{escape(_label(tick, with_year and tick.month == 1))}</text>"
        )

    coords = " ".join(f"{_num(x(w))},{_num(y(t))}" for w, t in done)
    parts.append(
        f'<polyline points="{coords}" fill="none" stroke="{LINE}" stroke-width="2" '
        f'stroke-linejoin="round"/>'
    )
    label_all = len(done) <= 12
    for index, (when, total) in enumerate(done):
        px, py = _num(x(when)), _num(y(total))
        tip = f"{_label(_day(when), True)}: {total} ({severity_of(total, bands)})"
        parts.append(
            f'<circle cx="{px}" cy="{py}" r="3.5" fill="#fff" stroke="{LINE}" stroke-width="2">'
            f"<title>{escape(tip)}</title></circle>"
        )
        if label_all or index in (0, len(done) - 1):
            parts.append(
                f'<text x="{px}" y="{_num(y(total) - 7)}" text-anchor="middle" fill="{INK}" '
                f'font-weight="600">{total}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)
