import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime

from cocm.charts import BandSpec, bands_for, instrument_trend, trend_svg

SVG = "{http://www.w3.org/2000/svg}"
POINTS = [(date(2026, 3, 2), 9), (date(2026, 1, 5), 18), (date(2026, 2, 2), 13)]


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_accessible_title_and_description():
    svg = instrument_trend("PHQ-9", POINTS, "trend-phq")
    root = _parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "trend-phq-title trend-phq-desc"
    assert root.find(f"{SVG}title").text == "PHQ-9 trend"
    desc = root.find(f"{SVG}desc").text
    assert desc == (
        "3 PHQ-9 scores, from 18 (moderately severe) on Jan 5, 2026 to 9 (mild) on Mar 2, 2026."
    )


def test_severity_bands_are_drawn_behind_the_line_with_labels():
    svg = instrument_trend("PHQ-9", POINTS, "t")
    labels = [t.text for t in _parse(svg).iter(f"{SVG}text")]
    for band in bands_for("PHQ-9"):
        assert f"{band.label} ({band.low}–{band.high})" in labels
    assert svg.index("<rect") < svg.index("<polyline")
    gad = instrument_trend("GAD-7", POINTS, "g")
    assert "severe (15–21)" in gad and "moderately severe" not in gad


def test_points_are_sorted_and_higher_totals_sit_higher():
    root = _parse(instrument_trend("PHQ-9", POINTS, "t"))
    circles = list(root.iter(f"{SVG}circle"))
    assert len(circles) == 3
    xs = [float(c.get("cx")) for c in circles]
    ys = [float(c.get("cy")) for c in circles]
    assert xs == sorted(xs)
    assert ys[0] < ys[1] < ys[2]  # 18, 13, 9: the highest score is nearest the top
    tips = [c.find(f"{SVG}title").text for c in circles]
    assert tips[0] == "Jan 5, 2026: 18 (moderately severe)"


def test_no_points_and_one_point():
    empty = instrument_trend("GAD-7", [], "e")
    assert "No complete scores yet" in empty and "<polyline" not in empty
    assert _parse(empty).find(f"{SVG}desc").text == "No complete GAD-7 scores yet."
    one = _parse(instrument_trend("GAD-7", [(date(2026, 3, 2), 7)], "o"))
    assert len(list(one.iter(f"{SVG}circle"))) == 1
    assert one.find(f"{SVG}desc").text == "One GAD-7 score: 7 (mild) on Mar 2, 2026."


def test_datetimes_and_long_spans_use_month_ticks():
    points = [(datetime(2025, 10, 1 + n, 15, tzinfo=UTC), 10) for n in range(0, 28, 3)]
    points += [(datetime(2026, 2, 10, 15, tzinfo=UTC), 12)]
    labels = [t.text for t in _parse(instrument_trend("PHQ-9", points, "d")).iter(f"{SVG}text")]
    assert "Nov 1" in labels and "Jan 1, 2026" in labels


def test_text_is_escaped_and_no_style_attributes():
    bands = (BandSpec(0, 4, "<b>low</b>"), BandSpec(5, 9, "high & dry"))
    svg = trend_svg(
        [(date(2026, 1, 5), 3)],
        name="<script>x</script>",
        max_total=9,
        bands=bands,
        element_id="x",
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "&lt;b&gt;low&lt;/b&gt;" in svg and "high &amp; dry" in svg
    assert "style=" not in svg
    _parse(svg)
