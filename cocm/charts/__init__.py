"""Server-side charts as inline SVG (no chart script in the browser)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from cocm import instruments
from cocm.charts.trend import BandSpec, Box, describe, severity_of, trend_svg

__all__ = [
    "BandSpec",
    "Box",
    "bands_for",
    "describe",
    "instrument_trend",
    "severity_of",
    "trend_svg",
]


def bands_for(code: str) -> tuple[BandSpec, ...]:
    """The instrument's severity bands (DESIGN 4) as chart bands."""
    return tuple(BandSpec(b.low, b.high, b.severity) for b in instruments.get(code).bands)


def instrument_trend(
    code: str, points: Sequence[tuple[date | datetime, int]], element_id: str
) -> str:
    """The trend of one instrument's totals with its own severity bands behind it."""
    form = instruments.get(code)
    return trend_svg(
        points, name=code, max_total=form.max_total, bands=bands_for(code), element_id=element_id
    )
