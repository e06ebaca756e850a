"""Server-drawn bar charts: accessible, proportional, printable, no script."""

import re
import xml.etree.ElementTree as ET

import pytest

from cocm.charts.bars import Band, Series, bar_chart, describe_bars, nice_max

SVG = "{http://www.w3.org/2000/svg}"


def _tree(svg: str):
    return ET.fromstring(svg)


def test_bars_are_proportional_and_labelled():
    svg = bar_chart(
        ["Jan", "Feb", "Mar"],
        [Series("Engaged", [25.0, 50.0, None])],
        title="Engagement",
        element_id="eng",
        max_value=100,
    )
    root = _tree(svg)
    assert root.get("role") == "img" and root.get("aria-labelledby") == "eng-title eng-desc"
    assert root.find(f"{SVG}title").text == "Engagement"
    assert root.find(f"{SVG}desc").text == "Engaged: Jan 25%, Feb 50%, Mar no data."
    bars = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert [b.find(f"{SVG}title").text for b in bars] == ["Engaged, Jan: 25%", "Engaged, Feb: 50%"]
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] == pytest.approx(2 * heights[0])
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "25%" in texts and "50%" in texts and "Mar" in texts
    assert "<script" not in svg and "style=" not in svg


def test_several_series_get_a_legend_and_bands_are_drawn_behind():
    svg = bar_chart(
        ["Feb", "Mar"],
        [Series("Median", [4.0, 10.0]), Series("90th percentile", [9.0, 30.0])],
        title="Minutes to acknowledge",
        element_id="ack",
        fmt=lambda v: f"{v:.0f}",
        bands=[Band(50, 80, "50–80 Medicaid")],
    )
    texts = [t.text for t in _tree(svg).iter(f"{SVG}text")]
    assert "Median" in texts and "90th percentile" in texts and "50–80 Medicaid" in texts
    # The axis reaches the band: 80 rounds up to 100.
    assert "100" in texts


def test_names_are_escaped_and_an_empty_chart_says_so():
    svg = bar_chart(
        ["<b>"], [Series("A & B", [None])], title="T <1>", element_id="x", max_value=100
    )
    root = _tree(svg)
    assert root.find(f"{SVG}title").text == "T <1>"
    assert "No data in these months" in [t.text for t in root.iter(f"{SVG}text")]


def test_series_must_match_the_labels():
    with pytest.raises(ValueError, match="has 1 values for 2 labels"):
        bar_chart(["a", "b"], [Series("s", [1.0])], title="t", element_id="e")


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1.0), (0.7, 1.0), (3, 5.0), (18, 20.0), (43, 50.0), (120, 200.0)]
)
def test_nice_max(value, top):
    assert nice_max(value) == top


def test_grid_values_are_round():
    svg = bar_chart(["a"], [Series("s", [3.0])], title="t", element_id="g", fmt=lambda v: f"{v:g}")
    ticks = [t.text for t in _tree(svg).iter(f"{SVG}text") if re.fullmatch(r"[\d.]+", t.text or "")]
    assert ticks[:6] == ["0", "1", "2", "3", "4", "5"]


def test_describe_without_labels():
    assert describe_bars([], [], str) == "No data."
