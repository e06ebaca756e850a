"""The patient's own score history as a small SVG drawn on the server.

Plain on purpose: a line of totals over time on a 0-to-maximum scale, each point labelled with
its number, no severity bands or labels. The words ("lower is better") are on the page and in
the SVG's title and description for screen readers. Only presentation attributes are used, so
the strict Content-Security-Policy allows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape, quoteattr

from cocm import texts
from cocm.portal.wording import short_day

WIDTH, HEIGHT = 600, 220
LEFT, RIGHT, TOP, BOTTOM = 36, 16, 16, 34
LINE = "#1f5fbf"
INK = "#1d2430"
MUTED = "#5b6575"
GRID = "#c9d0db"

_WORDS = {
    "en": {
        "none": "No check-ins yet.",
        "one": "One check-in: {first} on {first_day}. Lower is better.",
        "many": "{count} check-ins, from {first} on {first_day} to {last} on {last_day}. "
        "Lower is better.",
    },
    "es": {
        "none": "Todavía no hay chequeos.",
        "one": "Un chequeo: {first} el {first_day}. Más bajo es mejor.",
        "many": "{count} chequeos, de {first} el {first_day} a {last} el {last_day}. "
        "Más bajo es mejor.",
    },
}


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def describe(points: Sequence[tuple[date, int]], lang: str) -> str:
    """One sentence for screen readers, in the patient's language."""
    words = _WORDS[texts.language(lang)]
    if not points:
        return words["none"]
    (first_day, first), (last_day, last) = points[0], points[-1]
    key = "one" if len(points) == 1 else "many"
    return words[key].format(
        count=len(points),
        first=first,
        last=last,
        first_day=short_day(first_day, lang),
        last_day=short_day(last_day, lang),
    )


def history_svg(
    points: Sequence[tuple[date, int]], *, max_total: int, lang: str, element_id: str, title: str
) -> str:
    """An SVG of ``points`` ((day, total), oldest first) on a 0..``max_total`` scale."""
    points = sorted(points)
    title_id, desc_id = f"{element_id}-title", f"{element_id}-desc"
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="history" role="img" id={quoteattr(element_id)} '
        f'aria-labelledby="{title_id} {desc_id}" font-family="system-ui, sans-serif" '
        f'font-size="14">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(describe(points, lang))}</desc>',
    ]

    def y(total: float) -> float:
        return TOP + plot_h * (1 - total / max_total)

    for value in (0, max_total // 2, max_total):
        line_y = _num(y(value))
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{line_y}" y2="{line_y}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{_num(y(value) + 5)}" text-anchor="end" '
            f'fill="{MUTED}">{value}</text>'
        )
    if not points:
        parts.append(
            f'<text x="{_num(LEFT + plot_w / 2)}" y="{_num(TOP + plot_h / 2)}" '
            f'text-anchor="middle" fill="{INK}">{escape(describe(points, lang))}</text></svg>'
        )
        return "".join(parts)
    first, last = points[0][0].toordinal(), points[-1][0].toordinal()
    span = max(last - first, 1)

    def x(day: date) -> float:
        if first == last:
            return LEFT + plot_w / 2
        return LEFT + 14 + (plot_w - 28) * (day.toordinal() - first) / span

    coords = " ".join(f"{_num(x(d))},{_num(y(t))}" for d, t in points)
    parts.append(
        f'<polyline points="{coords}" fill="none" stroke="{LINE}" stroke-width="3" '
        'stroke-linejoin="round"/>'
    )
    for index, (day, total) in enumerate(points):
        px, py = _num(x(day)), _num(y(total))
        parts.append(
            f'<circle cx="{px}" cy="{py}" r="5" fill="#fff" stroke="{LINE}" stroke-width="3">'
            f"<title>{escape(short_day(day, lang))}: {total}</title></circle>"
        )
        if len(points) <= 12 or index in (0, len(points) - 1):
            parts.append(
                f'<text x="{px}" y="{_num(y(total) - 10)}" text-anchor="middle" fill="{INK}" '
                f'font-weight="600">{total}</text>'
            )
    for index in sorted({0, len(points) - 1}):
        day = points[index][0]
        anchor = "start" if index == 0 and len(points) > 1 else "end"
        if len(points) == 1:
            anchor = "middle"
        parts.append(
            f'<text x="{_num(x(day))}" y="{HEIGHT - 10}" text-anchor="{anchor}" '
            f'fill="{MUTED}">{escape(short_day(day, lang))}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
