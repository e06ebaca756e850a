"""Segment counting: GSM-7 (with its extension table) and UCS-2."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cocm.texts import encoding, segments


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, world!", "GSM-7"),
        ("Reply C to confirm or R to reschedule.", "GSM-7"),
        ("¿Año? ñ é ü à Ñ É ¡sí!", "UCS-2"),  # í is not in GSM-7
        ("¿Año? ñ é ü à Ñ É ¡bien!", "GSM-7"),
        ("price: 5€ [ok] {x} ~ | ^ \\", "GSM-7"),
        ("días", "UCS-2"),
        ("curly \u2019 quote", "UCS-2"),
        ("em \u2014 dash", "UCS-2"),
        ("👍", "UCS-2"),
        ("", "GSM-7"),
    ],
)
def test_encoding(text, expected):
    assert encoding(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # extension characters take two septets
        ("€" * 81, 2),
        ("a" * 159 + "€", 2),
        # a two-septet character never straddles segments: 152 + (2) + 152 needs three
        ("a" * 152 + "€" + "a" * 152, 3),
        ("á" * 70, 1),
        ("á" * 71, 2),
        ("á" * 134, 2),
        ("á" * 135, 3),
        ("😀" * 35, 1),  # each emoji is two UTF-16 code units
        ("😀" * 36, 2),
        # a surrogate pair is never split: 66 + (2) + 66 units need three segments
        ("á" * 66 + "😀" + "á" * 66, 3),
    ],
)
def test_segments(text, expected):
    assert segments(text) == expected


@given(st.text(max_size=2000))
def test_segments_never_raise_and_grow_with_length(text):
    count = segments(text)
    assert count >= 1
    assert segments(text + "a" * 400) >= count
