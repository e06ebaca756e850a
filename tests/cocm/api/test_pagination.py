"""Cursors: opaque, refused when forged, and lists computed in memory page in their order."""

from __future__ import annotations

import pytest

from cocm.api.errors import Invalid
from cocm.api.pagination import decode_cursor, encode_cursor, next_cursor, page_of


def test_a_cursor_round_trips_and_looks_opaque():
    cursor = encode_cursor(1234)
    assert cursor != "1234" and "=" not in cursor
    assert decode_cursor(cursor) == 1234
    assert decode_cursor(None) is None and decode_cursor("") is None


@pytest.mark.parametrize("forged", ["!!", "a", encode_cursor(1)[:-1] + "*", "LTE", "eHl6"])
def test_a_forged_cursor_is_refused(forged):
    with pytest.raises(Invalid) as caught:
        decode_cursor(forged)
    assert caught.value.errors[0][0] == "cursor"


def test_pages_of_an_ordered_list():
    rows = [5, 3, 9, 1, 7]  # an order that is not by id
    first, cursor = page_of(rows, 2, None, key=int)
    second, cursor2 = page_of(rows, 2, cursor, key=int)
    third, cursor3 = page_of(rows, 2, cursor2, key=int)
    assert (first, second, third) == ([5, 3], [9, 1], [7])
    assert cursor3 is None
    with pytest.raises(Invalid, match="no longer matches"):
        page_of([5, 9], 2, cursor, key=int)  # 3 left the list


def test_next_cursor_of_a_query_that_fetched_one_more():
    assert next_cursor([1, 2, 3], 2, key=int) == encode_cursor(2)
    assert next_cursor([1, 2], 2, key=int) is None
